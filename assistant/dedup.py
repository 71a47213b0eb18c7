"""The dedup stage: exact copies (same cleaned text) and near-duplicates (wire copies).

Near-duplicates use MinHash over word 5-gram shingles with LSH banding, so checking a new article
against an index of any size only looks at the few stored stories sharing a band (the band keys
live in the index). A wire story republished with a new first line or dateline keeps most of its
shingles, so its estimated Jaccard similarity stays high.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

NUM_HASHES = 64
BANDS = 16  # 16 bands of 4 rows: a pair with Jaccard 0.7 shares a band with probability ~0.99
ROWS = NUM_HASHES // BANDS
SHINGLE_WORDS = 5
_WORD = re.compile(r"\w+", re.UNICODE)
_MERSENNE = np.uint64((1 << 61) - 1)
_rng = np.random.default_rng(20231001)  # fixed seed: signatures must be identical across runs
_A = _rng.integers(1, (1 << 61) - 1, size=NUM_HASHES, dtype=np.uint64)
_B = _rng.integers(0, (1 << 61) - 1, size=NUM_HASHES, dtype=np.uint64)


@dataclass(frozen=True)
class Fingerprint:
    signature: bytes  # NUM_HASHES uint64 values
    bands: tuple[str, ...]


def content_hash(title: str, text: str) -> str:
    """Exact identity of an article's content (whitespace and case do not matter)."""
    normal = " ".join(_WORD.findall(f"{title}\n{text}".lower()))
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def fingerprint(text: str) -> Fingerprint:
    shingles = _shingle_hashes(text)
    signature = _minhash(shingles)
    bands = tuple(
        f"{b}:{hashlib.blake2b(signature[b * ROWS:(b + 1) * ROWS].tobytes(), digest_size=8).hexdigest()}"
        for b in range(BANDS)
    )
    return Fingerprint(signature.tobytes(), bands)


def similarity(signature_a: bytes, signature_b: bytes) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    a = np.frombuffer(signature_a, dtype=np.uint64)
    b = np.frombuffer(signature_b, dtype=np.uint64)
    if a.shape != b.shape or a.size == 0:
        return 0.0
    return float(np.mean(a == b))


def best_match(
    fp: Fingerprint, candidates: Sequence[tuple[str, bytes]], threshold: float
) -> tuple[str, float] | None:
    """The most similar candidate at or above the threshold, if any."""
    best: tuple[str, float] | None = None
    for article_id, signature in candidates:
        score = similarity(fp.signature, signature)
        if score >= threshold and (best is None or score > best[1]):
            best = (article_id, score)
    return best


def _shingle_hashes(text: str) -> np.ndarray:
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        grams = [" ".join(words)] if words else [""]
    else:
        grams = [" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)]
    unique = set(grams)
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=8).digest(), "big") >> 3 for g in unique),
        dtype=np.uint64,
        count=len(unique),
    )


def _minhash(shingles: np.ndarray) -> np.ndarray:
    # (a*x + b) wraps modulo 2**64 before the mod p; that still mixes well enough for MinHash and
    # is vectorised over all shingles and hash functions at once.
    with np.errstate(over="ignore"):
        values = (shingles[None, :] * _A[:, None] + _B[:, None]) % _MERSENNE
    return values.min(axis=1).astype(np.uint64)
