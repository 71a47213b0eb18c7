"""Follow-up questions: rewrite a question that leans on earlier turns into one that stands alone.

"and what did he say next?" after a question about Peskov -> "what did Dmitry Peskov say next?";
"what about Reuters?" after "What did the AP report about the strike?" -> "What did Reuters report
about the strike?". Retrieval and the answer modes then see a complete question.

Rules (simple and predictable; the rewritten question is shown to the user):
- "what about X?" / "how about X?" / "and X?": the previous question with X in place of the
  speaker or outlet it named (X of the same kind), else of the topic after "about", else with X
  added.
- he/she/him/her/his: the last person named in the conversation (the user's last question first,
  then the last answer, most recent turn first). it/they/them/their only when a speech verb
  follows ("what did it say", "did they deny"): the last organisation named.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Sequence

from .answer_evidence import _ORG_WORDS, STANCE_WORDS, WHAT_DID_THE_ROLE_SAY, speaker_keys, words
from .attribute import gender_of
from .query import bare_outlet_name, date_spans, masthead_forms, masthead_in, short_forms
from .refusal import MEDIA_WORDS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resolved:
    question: str  # the question to answer
    rewritten: bool  # whether it differs from what the user typed


_LEADING_FILLER = re.compile(r"^\s*(?:and|so|ok|okay|also|then|but|now)\b[\s,]*", re.IGNORECASE)
_WHAT_ABOUT = re.compile(
    r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<x>.+?)\s*\??\s*$"
    # "and Reuters?": a short phrase, not a question of its own ("and what did he say?")
    r"|^\s*and\s+(?!(?:what|who|whom|how|when|where|why|which|did|does|do|is|was|were|has|have|had|"
    r"can|could|will|would|should|then|now)\b)(?P<y>[^?\s]+(?:\s+[^?\s]+){0,4})\s*\?\s*$",
    re.IGNORECASE,
)
# A wh-word alone asks the previous question's why, when or where: "Why?", "and when was that?"
_BARE_WH = re.compile(r"^\s*(?:and\s+|so\s+|but\s+)?(?P<wh>why|when|where)(?:\s+(?:is|was|did|does)\s+"
                      r"(?:that|this|it))?(?:\s+so)?\s*[?.!]*\s*$", re.IGNORECASE)
_PERSON_PRONOUN = re.compile(r"\b(he|she|him|her|his|hers)\b", re.IGNORECASE)
_GROUP_PRONOUN = re.compile(
    r"\b(it|they|them|its|their)\b(?=(?:\s+\w+){0,2}?\s+(?:say|said|says|deny|denied|denies|claim|claimed|"
    r"claims|admit|admitted|announce|announced|tell|told|report|reported|warn|warned|accuse|accused|"
    r"promise|promised|respond|responded|mean|meant)\b)|(?<=did )\b(it|they)\b",
    re.IGNORECASE,
)


def resolve(
    question: str,
    history: Sequence[tuple[str, str]] = (),
    speakers: Sequence[str] = (),
    outlets: Sequence[str] = (),
) -> Resolved:
    """The question rewritten against the conversation so far (unchanged when it stands alone)."""
    if not history:
        return Resolved(question, False)
    previous_questions = _resolved_history(history, speakers, outlets)
    rewritten = _resolve_one(question, previous_questions, history, speakers, outlets)
    rewritten = " ".join(rewritten.split())
    return Resolved(rewritten, rewritten != " ".join(question.split()))


def _resolved_history(history: Sequence[tuple[str, str]], speakers: Sequence[str], outlets: Sequence[str]) -> list[str]:
    """Each earlier user question resolved against the turns before it (follow-ups chain)."""
    resolved: list[str] = []
    for turn, (user, _answer) in enumerate(history):
        resolved.append(_resolve_one(user, resolved, history[:turn], speakers, outlets) if turn else user)
    return resolved


def _resolve_one(question: str, previous: Sequence[str], history: Sequence[tuple[str, str]],
                 speakers: Sequence[str], outlets: Sequence[str]) -> str:
    if not previous:
        return question
    bare = _BARE_WH.match(question)
    if bare:
        # "Why?" after "Who disputed the agency's figures?"
        return f"{previous[-1].rstrip(' ?.')}, and {bare.group('wh').lower()}?"
    match = _WHAT_ABOUT.match(question)
    if match:
        target = (match.group("x") or match.group("y") or "").strip(" ?.")
        if target and not _PERSON_PRONOUN.fullmatch(target):
            return _swap_into(previous[-1], target, speakers, outlets)
    text = _LEADING_FILLER.sub("", question) if _refers_back(question) else question
    people = {pronoun: _last_named(history, previous, speakers, want_person=True, unfit=unfit)
              for pronoun, unfit in _UNFIT_GENDER.items()}

    def name_for(match: re.Match) -> str:
        person = people[match.group(1).lower()]
        return _pronoun_to_name(match.group(1), person) if person else match.group(0)

    text = _PERSON_PRONOUN.sub(name_for, text)
    group = _last_named(history, previous, speakers, want_person=False)
    if group:
        text = _GROUP_PRONOUN.sub(lambda m: _pronoun_to_name(m.group(0), group), text)
    topic = _topic_of(previous[-1])
    if topic and not any(w in STANCE_WORDS or w in _SAYING for w in words(text)):
        # "Who is leading it?" after "What is the latest on the inquiry?": it is the inquiry. (In
        # "Did she deny it?" it is what was said, not the topic.)
        text = _OBJECT_IT.sub(f" {topic}?", text)
    return text


# "it" ending a question is its object ("Who is leading it?"); "Is it true ...?" is no pronoun.
_OBJECT_IT = re.compile(r"\s+it\s*\?\s*$", re.IGNORECASE)
_SAYING = frozenset("say said says mean meant believe believed accept accepted".split())


def _topic_of(question: str) -> str:
    """What a question is about ("the inquiry" in "What is the latest on the inquiry?"), or ""."""
    about = _ABOUT.search(question)
    if not about or _is_date_alone(about.group(2)):
        return ""
    return about.group(2)


def _refers_back(question: str) -> bool:
    return bool(_PERSON_PRONOUN.search(question) or _GROUP_PRONOUN.search(question)
                or re.match(r"^\s*(?:and|so|also|then)\b", question, re.IGNORECASE))


def _pronoun_to_name(pronoun: str, name: str) -> str:
    lowered = pronoun.lower()
    if lowered in ("his", "hers", "its", "their"):
        return f"{name}'s"
    if lowered == "her":
        return name  # "her" as object or possessive: the name reads right either way in a question
    return name


# ----------------------------------------------------------------------------- who was named


def is_person(name: str) -> bool:
    tokens = name.replace("’", "'").split()
    if not 2 <= len(tokens) <= 4:
        return False
    if any(re.sub(r"'s$", "", t.lower()).strip(".,") in _ORG_WORDS for t in tokens):
        return False
    return all(t[:1].isupper() for t in tokens if t.lower() not in ("de", "van", "von", "al", "bin"))


def named_in(text: str, speakers: Sequence[str]) -> list[str]:
    """Index speakers named in `text`, in the order of first mention."""
    lowered = " " + re.sub(r"[^\w']+", " ", text.lower().replace("’", "'")) + " "
    found: list[tuple[int, int, str]] = []
    for name in speakers:
        for key in speaker_keys(name):
            pattern = " " + re.sub(r"[^\w']+", " ", key).strip() + " "
            position = lowered.find(pattern)
            if pattern.strip() and position >= 0:
                found.append((position, -len(pattern), name))
                break
    found.sort()
    names: list[str] = []
    for _, _, name in found:
        if name not in names:
            names.append(name)
    return names


# The gender a pronoun cannot refer to: "she" is not Marcus Obi. A name of unknown gender fits both.
_UNFIT_GENDER = {"he": "f", "him": "f", "his": "f", "she": "m", "her": "m", "hers": "m"}


def _last_named(history: Sequence[tuple[str, str]], previous: Sequence[str], speakers: Sequence[str],
                want_person: bool, unfit: str = "") -> str | None:
    """The most recent person (or organisation) named: latest turn first, its question before
    its answer (what the user asked about outranks what the answer mentioned); a person whose
    first name says the `unfit` gender is passed over."""
    for turn in range(len(history) - 1, -1, -1):
        user = previous[turn] if turn < len(previous) else history[turn][0]
        for text in (user, history[turn][1]):
            for name in named_in(text, speakers):
                if is_person(name) == want_person and not (unfit and gender_of(name) == unfit):
                    return name
            if want_person and text is user:
                fallback = _capitalised_person(user)
                if fallback and not (unfit and gender_of(fallback) == unfit):
                    return fallback
    return None


def _capitalised_person(text: str) -> str | None:
    """A two-word capitalised name in a question ("Vladimir Putin"), for people who made no statement."""
    for match in re.finditer(r"(?<!^)(?<![.?!]\s)\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,2})\b", text):
        name = match.group(1)
        if is_person(name):
            return name
    return None


def _swap_into(previous: str, target: str, speakers: Sequence[str], outlets: Sequence[str]) -> str:
    """The previous question about `target` instead of what it named."""
    dated = _swap_date(previous, target)
    if dated:
        return dated
    target_outlet = _match_outlet(target, outlets)
    if target_outlet:
        named = _outlets_named(previous, outlets)
        if named:
            return _replace_phrase(previous, named[0][1], target, drop_article=True)
        return f"{previous.rstrip(' ?.')} according to {target}?"
    target_speakers = named_in(target, speakers)
    named = _outlets_named(previous, outlets)
    if not target_speakers and _unknown_speaker_name(target) and (named_in(previous, speakers)
                                                                 or _WHO_DID.match(previous)):
        # "What did Peskov say?" then "what about Zelensky?": a name in the speaker's place,
        # even one the coverage never quotes (the answer then says so).
        target_speakers = [target]
    about = _ABOUT.search(previous)
    if about and _is_date_alone(about.group(2)):
        # "What did Obi say on March 12?": the day is no topic, so "what about the mayor?" asks
        # what the mayor said that day.
        about = None
    if (named and not target_speakers and target[:1].isupper() and not is_person(target)
            and not (about and _unknown_speaker_name(target))):
        # An outlet the index may not hold ("what about Reuters?"): still swap it in, so the
        # answer can say there is no coverage from it.
        return _replace_phrase(previous, named[0][1], target, drop_article=True)
    description = bool(_DESCRIPTION.match(target))  # "the union", "the mayor"
    described = WHAT_DID_THE_ROLE_SAY.search(previous.lower())
    if description and described:
        # "What did the agency say in response?" then "and the mayor?": the one described swapped.
        start, end = described.span("described")
        return previous[:start] + target + previous[end:]
    if target_speakers or is_person(target) or description:
        replacement = target_speakers[0] if target_speakers else target
        for name in named_in(previous, speakers):
            phrase = _phrase_for(previous, name)
            if phrase and not (description and about):
                return _replace_phrase(previous, phrase, replacement)
        who = _WHO_DID.match(previous)
        if who and not description:
            # "Who denied attacking the Wagner Group?" then "what about Zelensky?"
            return f"What did {replacement} say about {who.group('rest')}?"
        if named and not about:
            # "What did Harbor Ledger report?" then "what about Whitcombe?"
            return f"{previous.rstrip(' ?.')} about {replacement}?"
    if about:
        # "and on the inquiry?" after "What is the latest on the spill?": one "on", not two.
        target = re.sub(rf"^(?:{about.group(1)}|about|on|regarding)\s+", "", target, flags=re.IGNORECASE) or target
        return previous[: about.start(2)] + target + "?"
    if _reads_as_outlet(target):
        return f"{previous.rstrip(' ?.')} according to {target}?"
    return f"{previous.rstrip(' ?.')} — {target}?"


def _swap_date(previous: str, target: str) -> str | None:
    """ "what about March 14?" / "and on March 14?" after "What happened on March 13?": the
    previous question with the new date in the place of its date, or after it when it wrote
    none ("What did Whitcombe say about the river on March 14?"); None unless `target` is a
    date alone."""
    preposition = re.match(r"(on|in|during)\s+", target, flags=re.IGNORECASE)
    date = target[preposition.end():] if preposition else target
    # Read with a preposition in front: "March" and "May" alone are dates only after one ("in
    # March"), and a month is what "what about March?" asks for.
    probe = target if preposition else f"in {target}"
    if date_spans(probe) != [(len(probe) - len(date), len(probe))]:
        return None
    dates = date_spans(previous)
    if not dates:
        if re.match(r"(?:between|from)\b", date, flags=re.IGNORECASE):  # a range says its own
            return f"{previous.rstrip(' ?.')} {date}?"
        word = preposition.group(1) if preposition else ("on" if _DAY_NUMBER.search(date) else "in")
        return f"{previous.rstrip(' ?.')} {word} {date}?"
    if len(dates) != 1:
        return None
    start, end = dates[0]
    before = previous[:start]
    if preposition:  # "and in March?" after "... on March 13?": its own preposition too
        before = re.sub(r"\b(?:on|in|during)\s+$", "", before, flags=re.IGNORECASE) + preposition.group(0)
    else:  # "what about March?" after "... on March 13?": "in March", but "on March 14"
        before = re.sub(r"\b(?:on|in)(\s+)$", ("on" if _DAY_NUMBER.search(date) else "in") + r"\1", before,
                        flags=re.IGNORECASE)
    return before + date + previous[end:]


def _is_date_alone(text: str) -> bool:
    """ "March 12", "2024-03-12", "between March 12 and March 14": a date and nothing else."""
    text = text.strip(" ?.")
    return bool(text) and date_spans(f"on {text}") == [(3, 3 + len(text))]


_DAY_NUMBER = re.compile(r"(?<!\d)\d{1,2}(?!\d)")  # "on March 14", "on 2024-03-14"; but "in April 2024"
_DESCRIPTION = re.compile(r"^the\s+[a-z][\w'-]*(?:\s+[a-z][\w'-]*)?$")
_WHO_DID = re.compile(r"^\s*who\s+(?!is\b|was\b|are\b|were\b|did\b|does\b)[a-z]+\s+(?P<rest>.+?)\s*\??\s*$", re.IGNORECASE)
_ABOUT = re.compile(r"\b(about|on|regarding|of)\s+(.+?)\s*\??$", re.IGNORECASE)


def _reads_as_outlet(text: str) -> bool:
    """ "Reuters", "the BBC", "Daily Mail": a name with a word news outlets are called by."""
    return any(t.lower().strip(".,'") in MEDIA_WORDS for t in text.replace("’", "'").split())


def _unknown_speaker_name(text: str) -> bool:
    """A capitalised name of one to three words that does not read as a news outlet ("Zelensky",
    not "Reuters" or "the BBC")."""
    tokens = text.replace("’", "'").split()
    return 1 <= len(tokens) <= 3 and all(t[:1].isupper() for t in tokens) and not _reads_as_outlet(text)


def _match_outlet(text: str, outlets: Sequence[str]) -> str | None:
    found = _outlets_named(text, outlets)
    return found[0][0] if found else None


def _outlets_named(text: str, outlets: Sequence[str]) -> list[tuple[str, str]]:
    """(outlet, the phrase naming it) for outlets named in text, longest names first; an
    outlet's short form ("the Sentinel") counts when capitalised and it names one outlet."""
    lowered = text.lower()
    short = {outlet: form for form, named in short_forms(outlets).items() for outlet in named}
    masthead = {outlet: noun for noun, named in masthead_forms(outlets).items() for outlet in named}
    found = []
    for outlet in sorted(outlets, key=len, reverse=True):
        bare = bare_outlet_name(outlet)
        for name in (outlet, bare, re.sub(r"^the\s+", "", bare, flags=re.IGNORECASE)):
            if len(name) < 2:
                continue
            match = re.search(r"(?<!\w)" + re.escape(name.lower()) + r"(?!\w)", lowered)
            if match:
                found.append((outlet, text[match.start(): match.end()]))
                break
        else:  # no form of its full name: its short form or masthead noun, if it has one
            phrase = _short_form_in(text, short.get(outlet, "")) or masthead_in(text, masthead.get(outlet, ""))
            if phrase:
                found.append((outlet, phrase))
    return found


def _short_form_in(text: str, form: str) -> str:
    """An outlet's short form as `text` writes it, capitalised as a name ("the Sentinel"); ""
    when absent (or written as an ordinary word: "a sentinel")."""
    match = re.search(r"(?<!\w)" + re.escape(form) + r"(?!\w)", text, re.IGNORECASE) if form else None
    return match.group(0) if match and match.group(0)[:1].isupper() else ""


def _phrase_for(text: str, speaker: str) -> str | None:
    lowered = text.lower().replace("’", "'")
    for key in speaker_keys(speaker):
        match = re.search(r"(?<!\w)" + re.escape(key) + r"(?!\w)", lowered)
        if match:
            return text[match.start(): match.end()]
    return None


def _replace_phrase(text: str, phrase: str, replacement: str, drop_article: bool = False) -> str:
    """Replace the first whole-word `phrase`; with drop_article, a "the" before it goes too
    ("the Harbor Ledger" -> "The Daily Sentinel", not "the The Daily Sentinel")."""
    article = r"(?:\bthe\s+)?" if drop_article else ""
    pattern = article + r"(?<!\w)" + re.escape(phrase) + r"(?!\w)"
    return re.sub(pattern, lambda _: replacement, text, count=1, flags=re.IGNORECASE if drop_article else 0)


__all__ = ["Resolved", "is_person", "named_in", "resolve"]
