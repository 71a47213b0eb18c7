"""Which FAISS index holds the chunk vectors, by collection size (measured in bench/scale_bench.py).

- Up to FLAT_MAX_VECTORS: exact search, IndexIDMap2(IndexFlatIP). One query scans every vector
  (~8 ms on one thread at 50k, 12-17 ms at 100k: a third of the 50 ms retrieval budget there),
  and exact search needs no training.
- Above: IVF-Flat (inner product), nlist ~ 2*sqrt(n) rounded to a power of two, searched with
  IVF_NPROBE lists. Measured recall@10 against exact search at that setting: 0.96 at 10k, 0.97
  at 100k (0.9 ms), 0.96 at 1M (2-3 ms); see docs/benchmarks.md. IVF rather than HNSW because
  the index must support `remove_ids` (updated and removed articles) and ID-selector filters,
  which FAISS's HNSW does not, and IVF builds in seconds where HNSW takes many minutes on 2 cores
  at a million vectors.

An IVF index must be trained before vectors are added: `train_sample_size` says how many of the
collection's vectors to train on. Searches with a filter must pass the parameters from
`search_parameters` (an IVF index rejects plain `faiss.SearchParameters`).
"""

from __future__ import annotations

import logging
import math

import faiss
import numpy as np

log = logging.getLogger(__name__)

FLAT_MAX_VECTORS = 50_000
IVF_NPROBE = 32
TRAIN_POINTS_PER_LIST = 64  # FAISS wants >= 39 training points per list


def ivf_nlist(n_vectors: int) -> int:
    """Number of IVF lists: about 2*sqrt(n), as a power of two, between 64 and 16384."""
    target = 2 * math.sqrt(max(1, n_vectors))
    return int(min(16384, max(64, 2 ** round(math.log2(target)))))


def choose_faiss_index(n_vectors: int, dimension: int) -> faiss.Index:
    """An empty index suited to `n_vectors` unit vectors (inner product = cosine), ids supported.

    The IVF index comes untrained: call `train(index, vectors)` before adding.
    """
    if n_vectors <= FLAT_MAX_VECTORS:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
    nlist = ivf_nlist(n_vectors)
    # index_factory owns its quantizer (a hand-built IndexIVFFlat would need it kept alive).
    index = faiss.index_factory(dimension, f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
    faiss.extract_index_ivf(index).nprobe = IVF_NPROBE
    return index


def train_sample_size(index: faiss.Index, n_vectors: int) -> int:
    """How many vectors to train on (0 when the index needs no training)."""
    if index.is_trained:
        return 0
    return min(n_vectors, TRAIN_POINTS_PER_LIST * faiss.extract_index_ivf(index).nlist)


def train(index: faiss.Index, vectors: np.ndarray, seed: int = 0) -> None:
    """Train on a random sample of `vectors` (all of them if fewer than the sample size)."""
    size = train_sample_size(index, len(vectors))
    if size == 0:
        return
    rows = np.random.default_rng(seed).choice(len(vectors), size, replace=False) if size < len(vectors) else slice(None)
    index.train(np.ascontiguousarray(vectors[rows], dtype=np.float32))
    log.info("trained %s on %d vectors", type(index).__name__, size)


def search_parameters(index: faiss.Index, selector: faiss.IDSelector | None = None) -> faiss.SearchParameters | None:
    """Search parameters for `index` with an optional id filter (None when nothing to pass)."""
    try:
        ivf = faiss.extract_index_ivf(index)
    except RuntimeError:  # not an IVF index
        ivf = None
    if ivf is not None:
        return faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nprobe)
    return faiss.SearchParameters(sel=selector) if selector is not None else None


def describe(index: faiss.Index) -> str:
    """What the manifest records, e.g. 'IndexIDMap2(IndexFlatIP)' or 'IVF2048,Flat nprobe=32'."""
    try:
        ivf = faiss.extract_index_ivf(index)
    except RuntimeError:
        ivf = None
    if ivf is not None:
        return f"IVF{ivf.nlist},Flat nprobe={ivf.nprobe}"
    inner = faiss.downcast_index(index.index) if hasattr(index, "id_map") else index
    return f"IndexIDMap2({type(inner).__name__})" if hasattr(index, "id_map") else type(inner).__name__


__all__ = ["FLAT_MAX_VECTORS", "IVF_NPROBE", "choose_faiss_index", "describe", "ivf_nlist",
           "search_parameters", "train", "train_sample_size"]
