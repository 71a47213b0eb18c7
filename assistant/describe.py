"""What the coverage says someone or something is.

"Who is Tomas Reyes?" is answered by the sentence that introduces him ("Tomas Reyes, a steward
for the Riverside Dockworkers' Union, said ..."), not by what he said; "What is toluene?" by
"... leaked toluene, an industrial solvent, ...". These are pure text functions: answer_modes
finds the sentences and leads the answer with the one that describes the name most fully.

A description is one of the ways news introduces a name:
- an appositive after it: "Marcus Obi, director of the Ostra Valley Environmental Agency,";
  "Piotr Nowak, who reported dead fish near the Castor Bridge,";
- a title or role before it: "company spokesman Adrian Falk", "Environment Minister Carla Brandt";
- an appositive before it: "an independent laboratory, Calder Analytical,";
- a copula: "Calder Analytical is an independent laboratory".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from .attribute import is_title_word

# "Who is X?", "What was X?", "And who is X?": the X, for identity_asked to judge.
_IDENTITY = re.compile(
    r"^\s*(?:and|so|but)?\s*(?:who|what)(?:\s+exactly)?\s+(?:is|was|are|were)\s+(?P<subject>[^?]{1,80}?)\s*\??\s*$",
    re.IGNORECASE,
)
# Words a subject never starts with: "What is happening?", "Who was responsible for ...?" ask
# something else than what a name is.
_NOT_A_SUBJECT_START = frozenset(
    "it this that there he she they we you i being going happening said known behind responsible true "
    "wrong right new next to in on at for about with from by of not".split()
)
MAX_SUBJECT_WORDS = 5

# Words that end a run of title words before a name: a verb, an article, a preposition.
_NOT_A_ROLE = frozenset(
    "the a an and or but of said says told tells added by to for with that from in on at as when while "
    "after before he she it they we who which whose his her its their according".split()
)
MAX_TITLE_WORDS = 6
# First words of an appositive that are no description: a cue or an aside ("Kessler, however,
# ...", "Calder Analytical, to test 40 wells") or a list going on ("Varga, Obi and Brandt").
_NOT_A_DESCRIPTION_START = frozenset(
    "said says told tells added asked however though too also and or but then now meanwhile to "
    "he she it they we".split()
)
_LINKING = frozenset("and or of the a an for at in on to with by".split())
_APPOSITIVE_AFTER = re.compile(r"^\s*,\s*(?P<d>[^,;:.!?“”\"()]{3,120}?)\s*(?:[,;.)]|$)")
_COPULA_AFTER = re.compile(r"^\s+(?:is|was|are|were)\s+(?P<d>(?:an?|the|one)\s+[^,;:.!?“”\"()]{2,120})")
_APPOSITIVE_BEFORE = re.compile(r"(?P<d>\b(?:an?|the)\s+(?:(?!\b(?:an?|the)\b)[^,;:.!?“”\"()]){2,80}),\s*$",
                                re.IGNORECASE)


def identity_asked(question: str) -> str:
    """The name a "Who is X?" / "What is X?" question asks about, as written ("Tomas Reyes",
    "toluene", "Riverside Dockworkers' Union"); "" for any other question. A role ("Who is the
    mayor?") asks for a name, not what one is: it is no subject here."""
    match = _IDENTITY.match(question)
    if not match:
        return ""
    subject = match.group("subject").strip(" .,;:'\"“”‘’")
    words = subject.split()
    if words and words[0].lower() == "the" and len(words) > 1 and words[1][:1].isupper():
        words = words[1:]  # "the Riverside Dockworkers' Union"
    if not words or len(words) > MAX_SUBJECT_WORDS or words[0].lower() in _NOT_A_SUBJECT_START:
        return ""
    named = all(w[:1].isupper() or w.lower() in _LINKING for w in words) and words[0][:1].isupper()
    term = len(words) == 1 and words[0].isalpha()  # "toluene"
    return " ".join(words) if named or term else ""


@dataclass(frozen=True)
class Description:
    """The words of a sentence that describe a name, and how many there are."""

    words: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.words)


def describe(text: str, forms: Sequence[str]) -> Description | None:
    """What `text` says the name is, from its first mention in one of `forms` (most specific
    first: "Dana Whitcombe", then "Whitcombe"); None when it only mentions it."""
    for form in forms:
        found = _mention(text, form)
        if found is not None:
            start, end = found
            words = [*_title_before(text[:start]), *_appositive_before(text[:start], text[end:]), *_after(text[end:])]
            return Description(tuple(words)) if words else None
    return None


def _mention(text: str, form: str) -> tuple[int, int] | None:
    """Where `form` stands in `text` as whole words (a name by its case; a term in any case)."""
    form = form.replace("’", "'")
    flags = 0 if any(c.isupper() for c in form) else re.IGNORECASE
    found = re.search(rf"(?<![\w'’-]){re.escape(form)}(?![\w-])", text.replace("’", "'"), flags)
    return found.span() if found else None


def _title_before(before: str) -> list[str]:
    """ "company spokesman", "Environment Minister", "Marlow Bend Mayor": the title and role words
    right before a name (a lowercase word only in front of a title word: "agency director")."""
    kept: list[str] = []
    for token in reversed(before.split()[-MAX_TITLE_WORDS:]):
        if not re.fullmatch(r"[A-Za-z][\w'’-]*\.?", token) or token.lower() in _NOT_A_ROLE:
            break
        titled = is_title_word(token) or (token[:1].isupper() and token.lower() not in _NOT_A_DESCRIPTION_START)
        before_a_title = bool(kept) and is_title_word(kept[-1]) and not token.lower().endswith("ed")
        if not (titled or before_a_title):
            break
        kept.append(token)
    return list(reversed(kept))


def _appositive_before(before: str, after: str) -> list[str]:
    """ "an independent laboratory" in "... hired an independent laboratory, Calder Analytical,
    to ...": the name closes the appositive with a comma (or the sentence); in "... reported a
    faulty valve, Falk repeated ..." the phrase before is no description of him."""
    if not re.match(r"\s*(?:[,;.]|$)", after):
        return []
    match = _APPOSITIVE_BEFORE.search(before)
    return match.group("d").split() if match else []


def _after(after: str) -> list[str]:
    """The appositive or copula after a name: ", a steward for the union," / " is a solvent"."""
    match = _COPULA_AFTER.match(after) or _APPOSITIVE_AFTER.match(after)
    if not match:
        return []
    words = match.group("d").split()
    if not words or words[0].lower() in _NOT_A_DESCRIPTION_START:
        return []
    if not any(w[:1].islower() and w.lower() not in _LINKING for w in words):
        return []  # "Varga, Obi and Brandt": names in a list, no description
    return words


def best_described(texts: Sequence[str], forms: Sequence[str]) -> tuple[int, Description] | None:
    """(index into `texts`, description) of the text that describes the name most fully; the
    first such on a tie (callers put the earliest coverage first: a name is introduced there)."""
    best: tuple[int, Description] | None = None
    for i, text in enumerate(texts):
        found = describe(text, forms)
        if found is not None and (best is None or found.size > best[1].size):
            best = (i, found)
    return best
