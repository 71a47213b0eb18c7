"""Evidence for extractive answers: what the question asks, which stored sentences and statements
answer it, how well, and the citations that point at them.

Everything an extractive answer shows is cut from the stored article text by span, so a citation's
text equals `index.article_text(id)[start:end]` by construction; `CitationBook` checks it anyway and
never cites a span it cannot verify.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np

from .attribute import is_title_word
from .describe import identity_asked
from .index import Index
from .records import ArticleInfo, Citation, Filters, Passage, Sentence, Statement

log = logging.getLogger(__name__)

# ----------------------------------------------------------------------------- words

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
STOPWORDS = frozenset(
    """
    a an and are as at be but by for from had has have he her hers him his i if in into is it its
    of on or our she so that the their them then there these they this those to was we were what
    when where which who whom whose why will with would you your did does do done than been being
    about after before both each other how any all can could should may might must shall also just
    more most some such not no nor only own same too very s t now here out up down over under again
    further once am me my myself we us ours yourself itself themselves what's who's one two
    whether while though although because since anyone anybody someone somebody everyone everybody
    anything something everything
    """.split()
)
# Words that frame the question rather than name its topic.
QUESTION_WORDS = frozenset(
    """
    say said says saying tell told speak speaks spoke spoken speaking talk talks talked talking
    report reported reports reporting according article articles
    outlet outlets coverage cover covered account accounts differ differs difference differences
    compare comparison summary summarize summarise sourced source sources timeline chronology
    chronological give list every statement statements quote quotes happen happened happening
    describe described explain know knowing mention mentioned mentions piece story stories news
    each way ways versus vs regarding concerning question questions answer please show find
    next else later afterwards
    """.split()
)

# Verbs in a question that ask for statements of one stance ("who denied ...").
STANCE_WORDS: Mapping[str, str] = {
    **dict.fromkeys("deny denied denies denying denial denials reject rejected rejects dismiss "
                    "dismissed dismisses dispute disputed disputes refute refuted rebut rebutted "
                    "contradict contradicted".split(), "deny"),
    **dict.fromkeys("accuse accused accuses accusing accusation accusations blame blamed blames "
                    "blaming criticize criticized criticizes criticizing criticise criticised criticises "
                    "criticism criticisms condemn condemned condemns".split(), "accuse"),
    **dict.fromkeys("promise promised promises vow vowed vows pledge pledged pledges".split(), "promise"),
    **dict.fromkeys("warn warned warns warning warnings threaten threatened threatens".split(), "warn"),
    **dict.fromkeys("admit admitted admits admission acknowledge acknowledged acknowledges concede "
                    "conceded concedes".split(), "admit"),
    **dict.fromkeys("confirm confirmed confirms confirmation".split(), "confirm"),
    **dict.fromkeys("claim claimed claims claiming".split(), "claim"),
}
# Stances a question cannot tell apart: "What did Kessler admit?" asks for "acknowledged" too,
# which the extractor counts as a confirmation.
STANCE_ALIKE: Mapping[str, tuple[str, ...]] = {
    **{s: (s,) for s in set(STANCE_WORDS.values())}, "admit": ("admit", "confirm"), "confirm": ("confirm", "admit"),
}
STANCE_LABELS: Mapping[str, str] = {
    "assert": "said", "deny": "denied", "accuse": "accused", "promise": "promised", "warn": "warned",
    "admit": "admitted", "confirm": "confirmed", "question": "questioned", "claim": "claimed",
}

_NEGATION = re.compile(
    r"\b(?:no|not|never|none|nothing|nobody|neither|nor|cannot|can't|don't|doesn't|didn't|isn't|"
    r"wasn't|aren't|weren't|won't|untrue|false|deny|denied|denies|reject|rejected|dismissed)\b|n[’']t\b",
    re.IGNORECASE,
)


def words(text: str) -> list[str]:
    """Lower-case word tokens with possessives removed ("Kessler's" -> "kessler")."""
    out = []
    for token in _WORD.findall(text):
        token = token.lower().replace("’", "'")
        if token.endswith("'s"):
            token = token[:-2]
        token = token.strip("'-")
        if token:
            out.append(token)
    return out


def stem(word: str) -> str:
    """A light suffix stripper: enough to match denied/denies/deny and strike/strikes/striking;
    irregular forms news writes often are looked up ("dead" and "died", "began" and "begin")."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    return _regular_stem(word)


def _regular_stem(word: str) -> str:
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ation", "ations")) and len(word.rstrip("s")) >= 9:
        # "accusation" and "accused", "confirmation" and "confirmed", "allegations" and "alleged"
        return word[: word.rindex("ation")]
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: -len(suffix)]
            if suffix != "s" and _LOST_E.fullmatch(word) and not (suffix == "es" and word[-1] in "sz"):
                # "fined", "fines" are "fine", "hiring" is "hire" ("hitting" doubles; "gases" had no "e")
                return word + "e"
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


# Irregular forms, and the forms of "die" the suffix rules split three ways, looked up before them:
# "How many fish died?" is answered by "hundreds of dead fish". Each maps to its base form's stem.
_IRREGULAR_FORMS = {
    "die": "dies died dying dead death deaths", "begin": "began begun begins beginning",
    "fall": "fell fallen", "rise": "rose risen", "find": "found", "know": "knew known", "take": "took taken",
    "give": "gave given", "hold": "held", "lose": "lost", "pay": "paid", "sell": "sold", "buy": "bought",
    "bring": "brought", "catch": "caught", "build": "built", "send": "sent", "spend": "spent",
    "strike": "struck stricken", "meet": "met", "win": "won", "write": "wrote written", "fight": "fought",
    "flee": "fled", "shoot": "shot", "choose": "chose chosen", "freeze": "froze frozen", "sink": "sank sunk",
    "grow": "grew grown", "fly": "flew flown", "drive": "drove driven", "stand": "stood",
    "break": "broke broken", "hide": "hid hidden",
}


# A consonant, a vowel and a consonant that English does not double ("fix", "row"): what is left of
# "fined", "named" or "voted", which lost their "e" to the ending.
_LOST_E = re.compile(r"[b-df-hj-np-tv-z][aeiou][b-df-hj-np-tvz]")
_IRREGULAR = {form: _regular_stem(base) for base, forms in _IRREGULAR_FORMS.items() for form in [base, *forms.split()]}


def content_stems(text: str, extra_stop: Iterable[str] = ()) -> list[str]:
    """Stems of the words that carry meaning (no stopwords), in order, with repeats."""
    stop = STOPWORDS | frozenset(extra_stop)
    return [stem(w) for w in words(text) if w not in stop and len(w) > 1]


def word_pairs(text: str) -> frozenset[tuple[str, str]]:
    """Adjacent stems once stopwords are out, framing words kept: "change its story" gives
    ("chang", "story")."""
    stems = content_stems(text)
    return frozenset(zip(stems, stems[1:]))


def is_negated(text: str) -> bool:
    return bool(_NEGATION.search(text))


_NEGATIVE_CLAIM = re.compile(
    r"(?:^|[.!?]\s+|[“\"]\s*)(?:no|none|nothing|nobody|never|neither)\b"
    r"|\b(?:untrue|false|not true|no basis|deny|denies|denied|do not accept|does not accept|did not happen)\b",
    re.IGNORECASE,
)


def negated_clause(text: str) -> str:
    """What a negative claim says is not so: the words after its negation, to the sentence end."""
    match = _NEGATIVE_CLAIM.search(text.strip())
    if not match:
        return ""
    rest = text.strip()[match.end():]
    return re.split(r"[.!?;]", rest, maxsplit=1)[0]


def negative_claim(text: str) -> bool:
    """A claim that something is not so: a sentence opening with "No ..."/"Nothing ...", or
    "untrue", "no basis", "do not accept". (Plain "not" is too common to mean a denial.)"""
    return bool(_NEGATIVE_CLAIM.search(text.strip()))


def similarity(a: set[str], b: set[str]) -> float:
    """Overlap of two stem sets relative to the smaller one (containment catches trimmed copies)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


# ----------------------------------------------------------------------------- the question


@dataclass(frozen=True)
class QuestionInfo:
    """What the extractive engine reads from a question."""

    text: str
    stems: tuple[str, ...]  # content stems of the topic (question framing and speakers removed)
    all_stems: tuple[str, ...]  # content stems of the whole question
    speakers: tuple[str, ...]  # index speakers the question names
    speaker_words: frozenset[str]  # stems of the words that named them
    stances: tuple[str, ...]  # stances asked for by the question's verbs
    asks_who: bool  # "who ..." : the answer should lead with a speaker
    wants_all: bool  # "list every / all statements": no relevance cut-off
    timeline: bool  # "timeline" / "chronological": order by date
    over_time: bool  # "over time" / "change": compare dates rather than outlets
    # what a direct answer holds: "amount" (how much), "duration" (how long), "quantity" (how
    # many, how far, what share), "time" (when), "cause" (why, what caused), "place" (where) or ""
    # (nothing in particular)
    expects: str = ""
    wants_more: bool = False  # "what did he say next / what else": not what the last answer showed
    asks_speech: bool = True  # asks what someone said ("say", "claim", a stance verb), not what they did
    identity: str = ""  # "Who is Tomas Reyes?", "What is toluene?": the name asked about (describe.py)
    latest: bool = False  # "What is the latest on the spill?": the most recent report leads


def read_question(text: str, speakers: Sequence[str]) -> QuestionInfo:
    lowered = text.lower()
    matched, speaker_words = match_speakers(text, speakers)
    if _WHO_DID_IT.match(lowered):
        # "Who accused Kessler of ...?": the name is whom it was said about; the speaker is asked for.
        matched, speaker_words = (), set()
    speaker_words |= _titles_before(lowered, matched)  # "Mayor" in "Mayor Elena Varga" is no topic
    token_list = words(text)
    stances = tuple(dict.fromkeys(s for w in token_list if w in STANCE_WORDS for s in STANCE_ALIKE[STANCE_WORDS[w]]))
    all_stems = tuple(content_stems(text))
    expects = _expected_answer(lowered)
    latest = bool(_LATEST.search(lowered))
    framing = {stem(w) for w in QUESTION_WORDS | set(STANCE_WORDS) | _FRAMING_OF.get(expects, set())
               | _REPLY_WORDS | (_LATEST_WORDS if latest else set()) | _asking_words(lowered)
               | (_SPAN_WORDS if _OVER_A_SPAN.search(lowered) else set())}
    topic = tuple(s for s in all_stems if s not in framing and s not in speaker_words)
    return QuestionInfo(
        text=text,
        stems=topic,
        all_stems=all_stems,
        speakers=matched,
        speaker_words=frozenset(speaker_words),
        stances=stances,
        asks_who=bool(_ASKS_WHO.match(lowered)),
        wants_all=bool(_WANTS_ALL.search(lowered)),
        timeline=bool(_TIMELINE.search(lowered)),
        over_time=bool(_OVER_TIME.search(lowered)),
        expects=expects,
        wants_more=bool(_WANTS_MORE.search(lowered)),
        asks_speech=bool(stances) or bool(_SPEECH.search(lowered)),
        identity=identity_asked(text),
        latest=latest,
    )


def _titles_before(lowered: str, speakers: Sequence[str]) -> set[str]:
    """Stems of the title words right before a speaker's name in the question: "mayor" in "What
    did Mayor Elena Varga say?", "agency director" in "the agency director Marcus Obi"."""
    lowered = lowered.replace("’", "'")
    titles: set[str] = set()
    for name in speakers:
        at = next((i for i in (lowered.find(key) for key in speaker_keys(name)) if i >= 0), -1)
        for word in reversed(re.findall(r"[\w.'-]+", lowered[:max(at, 0)])):
            if not is_title_word(word):
                break
            titles.update(content_stems(word))
    return titles


# "What did Kessler say?", "Peskov's comments", "according to the ministry": a question about
# words said. "Did Kessler change its story?" is about what Kessler did.
_SPEECH = re.compile(r"\b(?:say|said|says|saying|tell|told|tells|claim\w*|statements?|quot\w*|comment\w*|"
                     r"respond\w*|response|repl\w*|words|according|announc\w*|position|stance|reaction|"
                     r"react\w*|argu\w*|insist\w*|explain\w*|explanation|account)\b")


_WHO_DID_IT = re.compile(r"\s*(?:and\s+)?who\s+(?:has\s+|have\s+|had\s+)?(?!is\b|was\b|are\b|were\b|did\b|does\b|do\b)[a-z]+(?:ed|s)?\b")
_ASKS_WHO = re.compile(r"\s*(?:and\s+|so\s+)?(?:who|which\s+(?:official|person|people|group|side|company|"
                       r"organi[sz]ation|outlet))\b")
_WANTS_ALL = re.compile(r"\b(?:every|all)\b.*\bstatements?\b|\blist\b|\ball\b.*\bsaid\b|\beverything\b")
# "How did the coverage change over time?": the story's timeline.
COVERAGE_OVER_TIME = r"\bhow\s+(?:did|has|have)\s+the\s+(?:coverage|reporting|story)\b.*\bover time\b"
_TIMELINE = re.compile(r"\btime ?line\b|\bchronolog|\bin order\b|\bday by day\b|\bsequence of events\b|"
                       + COVERAGE_OVER_TIME)
_OVER_TIME = re.compile(r"\bover time\b|\bchang(?:e|ed|es|ing)\b|\bday by day\b|\bevolv|\bfrom day\b|\bshift")
_WANTS_MORE = re.compile(r"\b(?:next|else|after that|afterwards|other statements?|anything more|more statements?)\b")
# "What did the union say?", "Did the company admit ...?": a speaker described by a role or kind.
ASKED_WHAT = r"\b(?:what|did|has|have|does|do)\s+(?:did\s+|has\s+|have\s+|does\s+)?"
SPEECH_VERBS = ("say|said|tell|told|claim|claimed|state|stated|announce|announced|deny|denied|admit|admitted|"
                 "promise|promised|warn|warned")
WHAT_DID_THE_ROLE_SAY = re.compile(
    ASKED_WHAT + r"(?P<described>the\s+(?P<role>[a-z][\w'-]*(?:\s+[a-z][\w'-]*)?))\s+(?:ever\s+)?(?:" + SPEECH_VERBS
    + r")\b"
)
_HOW_MUCH = re.compile(r"\bhow (?P<kind>much|many|large|big|long|far|high|often)\b"
                       r"|\bwhat (?:amount|number|share|percentage)\b"
                       r"|\bthe (?P<measure>amount|volume|quantity|number) of\b"  # "the amount of toluene"
                       # "What was the company's estimate?", "What did the agency estimate?": its figure
                       # ("Did anyone dispute the estimate?" asks whether, not how much)
                       r"|^\s*(?:and\s+)?what\s+(?:was|is|were|are)\b[^?]*\bestimates?\b"
                       r"|^\s*(?:and\s+)?what\s+did\b[^?]*\bestimate\s*\??\s*$"
                       r"|^\s*how\b[^?]*\bestimates?\b[^?]*\b(?:chang|shift|evolv|develop)")  # its figures over time
_WHEN = re.compile(r"^\s*(?:and\s+)?when\b|\bwhat time\b|\bwhat date\b|\bwhich day\b|,\s*and\s+when\s*\??\s*$")
# (", and why?" ends a follow-up the conversation rewrote: "Why?" after "Who disputed the figures?")
_WHY = re.compile(r"^\s*(?:and\s+|so\s+)?why\b|\bwhat (?:caused|causes|cause|led to|triggered)\b"
                  r"|\bwhat (?:was|is|were) the (?:cause|reason)s?\b|,\s*and\s+why\s*\??\s*$")
_WHERE = re.compile(r"^\s*(?:and\s+|so\s+)?where\b|,\s*and\s+where\s*\??\s*$")
# "the latest on the spill", "the most recent news about ...", "the latest from Kessler", "What is
# the latest?"; not "the band's latest tour" (the newest of something else).
_LATEST = re.compile(r"\b(?:latest|newest|most recent)(?:\s+(?:news|reports?|coverage|updates?|developments?|articles?"
                     r"|stories|word|statements?))?(?:\s+(?:on|about|regarding|concerning|from|by)\b|\s*\??\s*$)")
_LATEST_WORDS = {"latest", "newest", "recent", "update", "updates", "development", "developments"}
# Words that frame what is asked rather than name the topic: "What caused the leak?" is about the
# leak ("can cause headaches" is no answer).
_FRAMING_OF = {"cause": {"cause", "caused", "causes", "reason", "reasons", "led", "triggered"}}
# "How did Kessler's estimate change over time?" asks how, not about time ("fourteen times the
# safe limit" is no match).
_OVER_A_SPAN = re.compile(r"\bover time\b|\bday by day\b|\bfrom day to day\b")
_SPAN_WORDS = frozenset({"time", "day"})
# "What did the agency say in response?": how it was said, not what about.
_REPLY_WORDS = frozenset("respond responded responds response responses reply replied replies react reacted "
                         "reaction reactions".split())


def _asking_words(lowered: str) -> set[str]:
    """The words that ask for a kind of answer, not for a topic: "much" in "how much leaked"
    (as a topic word it favoured "as much as 40,000 liters" over "3,000 liters")."""
    match = _HOW_MUCH.search(lowered)
    return {w for w in (match.group("kind"), match.group("measure")) if w} if match else set()


def _expected_answer(lowered: str) -> str:
    kind = _HOW_MUCH.search(lowered)
    if kind:
        # "How much leaked?" wants an amount (liters, dollars), "how long" a duration; "how
        # many", "how far", "what share" any number of something.
        named = kind.group("kind") or kind.group("measure") or ""
        return {"much": "amount", "amount": "amount", "volume": "amount", "long": "duration"}.get(named, "quantity")
    if _WHEN.search(lowered):
        return "time"
    if _WHY.search(lowered):
        return "cause"
    if _WHERE.search(lowered):
        return "place"
    return ""


_NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                 "twenty thirty forty fifty sixty hundred hundreds thousand thousands million millions "
                 "billion billions dozen dozens").split()
# A number followed by what it counts: "3,000 liters", "fourteen times", "40 minutes".
_QUANTITY = re.compile(r"\b(\d[\d,.]*%?|(?:" + "|".join(_NUMBER_WORDS) + r"))\s+([a-z][a-z-]*)", re.IGNORECASE)
_NOT_A_UNIT = frozenset("a am pm p.m a.m of and or in on at to the by for from".split())
_TIME = re.compile(r"\b\d{1,2}(?::\d{2})?\s*[ap]\.?m\b|\b(?:monday|tuesday|wednesday|thursday|friday|"
                   r"saturday|sunday|january|february|march|april|may|june|july|august|september|"
                   r"october|november|december|yesterday|today|tonight|morning|night)\b|\b(?:19|20)\d\d\b",
                   re.IGNORECASE)


# What an amount ("how much") and a duration ("how long") are counted in.
_AMOUNT_UNITS = frozenset(
    "liter liters litre litres gallon gallons barrel barrels ton tons tonne tonnes kilogram kilograms kg "
    "gram grams pound pounds ounce ounces cubic dollar dollars euro euros "
    "rouble roubles ruble rubles yen yuan percent per cent".split()
)
_DURATION_UNITS = frozenset("second seconds minute minutes hour hours day days week weeks month months year "
                            "years decade decades".split())
# A cause as news gives it ("because", "due to", "blamed ... on", "a valve ... failed"): what
# "why" and "what caused" ask for.
_CAUSE = re.compile(r"\b(?:because|caus(?:e|ed|es|ing)|due to|owing to|result(?:ed|s)? (?:of|from)|as a result|"
                    r"led to|blam\w*|attribut\w*|reasons?|fail(?:ed|s|ure|ures|ing)?|crack(?:ed|s)?|faulty|"
                    r"broke|broken|malfunction\w*|explo(?:ded|sion)|sparked|triggered|stemm?(?:ed|ing|s)? from)\b",
                    re.IGNORECASE)
# A place: a preposition of place before a name ("on Pier 4", "at the Kessler Terminals site",
# "near the Castor Bridge"); "on Monday", "in March" are times.
_PLACE = re.compile(r"\b(?:[Aa]t|[Ii]n|[Oo]n|[Nn]ear|[Ff]rom|[Ii]nto|[Aa]long|[Oo]utside|[Ii]nside|[Aa]cross|"
                    r"[Bb]eside|(?:up|down)stream of|(?:north|south|east|west) of)\s+(?:the\s+)?(?P<name>[A-Z][\w'’-]*)")
_NOT_A_PLACE = frozenset(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July "
    "August September October November December I A An The".split()
)
# A place with no name: a venue where something was said or happened ("at a news conference at the
# port gate", "outside the courthouse").
_VENUE = re.compile(r"\b(?:at|in|outside|inside|near|on)\s+(?:a|an|the|its|his|her|their)\s+(?:[a-z-]+\s+){0,2}?"
                    r"(?:news conference|press conference|briefing|hearing|meeting|rally|summit|gate|site|pier|port|"
                    r"plant|factory|terminal|headquarters|offices?|court(?:house)?|city hall|town hall|school|"
                    r"hospital|station|bridge|river|riverbank|depot|airport|embassy|parliament|legislature|"
                    r"ceremony|vigil|podium|steps)\b")
_MONEY = re.compile(r"[$€£]\s?\d|\d\s?%")
# News often gives a count only vaguely ("killed a “huge amount” of his troops", "dozens were
# hurt"): that still answers "how many" (and "how much") better than a sentence with none.
_VAGUE_QUANTITY = re.compile(r"\b(?:huge|large|small|vast|big|significant|unknown)\s+(?:amount|number|quantit)\w*"
                             r"|\b(?:dozens|hundreds|thousands|millions|scores)\s+of\b", re.IGNORECASE)


def holds_expected(text: str, expects: str) -> bool:
    """Whether a sentence holds what the question asks for: an amount, a duration, a number of
    something, a time, a cause or a place."""
    if expects == "time":
        return bool(_TIME.search(text))
    if expects == "cause":
        return bool(_CAUSE.search(text))
    if expects == "place":
        return bool(_VENUE.search(text)) or any(m.group("name") not in _NOT_A_PLACE for m in _PLACE.finditer(text))
    if expects == "amount" and _MONEY.search(text):
        return True
    if expects in ("amount", "quantity") and _VAGUE_QUANTITY.search(text):
        return True
    if expects not in ("amount", "duration", "quantity"):
        return False
    units = {"amount": _AMOUNT_UNITS, "duration": _DURATION_UNITS}.get(expects)  # None: any counted thing
    for match in _QUANTITY.finditer(text):
        before = text[: match.start()].split()
        if before and before[-1][:1].isupper() and before[-1].isalpha():
            continue  # "Pier 4", "Tank 7": a name, not an amount
        unit = match.group(2).lower()
        if unit not in _NOT_A_UNIT and (units is None or unit in units):
            return True
    return False


_ORG_WORDS = frozenset(
    """
    ministry department agency office union company corporation council committee government
    authority police army forces military commission party group court board bank terminals inc
    corp ltd news times post journal kremlin administration service services association
    institute university federation council organization organisation
    """.split()
)
_NAME_NOISE = frozenset({"the", "a", "an", "of", "and", "for", "de", "van", "von"})


def speaker_keys(name: str) -> list[str]:
    """Lower-case phrases that name this speaker in a question, most specific first.

    "Russia's Defense Ministry" -> ["russia's defense ministry", "defense ministry"];
    "Dana Whitcombe" -> ["dana whitcombe", "whitcombe"]. Keys never are a lone common word.
    """
    clean = " ".join(name.replace("’", "'").split())
    lowered = clean.lower()
    keys = [lowered]
    tokens = clean.split()
    if not tokens or not any(t[:1].isupper() for t in tokens):
        return []  # "the company", "officials": not a name a question can point at
    if tokens[0].lower() == "the" and len(tokens) > 1:
        keys.append(" ".join(tokens[1:]).lower())
    # Drop a leading possessive owner: "Russia's Defense Ministry" -> "defense ministry".
    if len(tokens) > 2 and tokens[0].endswith("'s"):
        keys.append(" ".join(tokens[1:]).lower())
    lowered_tokens = [t.lower().strip(".,") for t in tokens]
    is_org = any(t in _ORG_WORDS for t in lowered_tokens)
    if not is_org and 2 <= len(tokens) <= 4 and all(t[:1].isupper() for t in tokens if t.lower() not in _NAME_NOISE):
        surname = lowered_tokens[-1]
        if surname not in ("jr", "sr", "ii", "iii") and len(surname) > 2 and surname not in STOPWORDS:
            keys.append(surname)
    if is_org and len(tokens) >= 2 and lowered_tokens[0] not in STOPWORDS and tokens[0][:1].isupper():
        # "Kessler Terminals" is "Kessler" in a question; "Defense Ministry" is not "Defense".
        if lowered_tokens[-1] in {"terminals", "inc", "corp", "ltd", "group", "company", "corporation"}:
            keys.append(lowered_tokens[0])
    return list(dict.fromkeys(k for k in keys if k and k not in STOPWORDS))


_SPEECH_OWNED = re.compile(r"'s (account|accounts|story|statement|statements|position|claim|claims|comment|comments|"
                           r"words|response|explanation|version|stance|denial|denials|admission|line|narrative)\b")


def match_speakers(question: str, speakers: Sequence[str]) -> tuple[tuple[str, ...], set[str]]:
    """Index speakers named in the question (case-insensitive, surname or partial name).

    When several speakers match, the ones matched by the longest phrase win ("Russia's Defense
    Ministry" named in full beats "Ukraine's Defense Ministry" matched only by "defense ministry").
    """
    lowered = " " + re.sub(r"[^\w']+", " ", question.lower().replace("’", "'")) + " "
    # "Kessler's account" names Kessler as the one who gave it ("Kessler's chief executive" does not)
    owned = _SPEECH_OWNED.sub(r" \1", lowered)
    best: dict[str, int] = {}
    words_used: set[str] = set()
    for name in speakers:
        for key in speaker_keys(name):
            pattern = " " + re.sub(r"[^\w']+", " ", key).strip() + " "
            if pattern.strip() and (pattern in lowered or pattern in owned):
                best[name] = max(best.get(name, 0), len(pattern))
                words_used.update(stem(w) for w in words(key))
                break
    if not best:
        return (), set()
    # Among speakers matched through overlapping phrases keep the most specific ones.
    top = max(best.values())
    chosen = [n for n, length in best.items() if length == top or not _overlaps_longer(n, best, top)]
    chosen.sort(key=lambda n: -best[n])
    return tuple(chosen), words_used


def _overlaps_longer(name: str, best: Mapping[str, int], top: int) -> bool:
    """Whether a longer match names the same thing ("defense ministry" inside the full name)."""
    mine = set(words(name))
    for other, length in best.items():
        if other != name and length > best[name] and (mine & set(words(other))) - STOPWORDS:
            return True
    return False


# ----------------------------------------------------------------------------- candidates


@dataclass
class Candidate:
    """A stored sentence that may answer the question, with its scores."""

    sentence: Sentence
    article: ArticleInfo
    position: int  # sentence index in its article (0 is the lead)
    retrieval: float  # fused retrieval score of its best chunk, scaled to 0..1
    chunk_dense: float  # cosine of its best chunk with the question
    stems: frozenset[str]
    lexical: float = 0.0
    dense: float | None = None
    statement_boost: float = 0.0
    statements: tuple[Statement, ...] = ()
    score: float = 0.0

    @property
    def key(self) -> tuple[str, int]:
        return (self.sentence.article_id, self.sentence.index)

    @property
    def text(self) -> str:
        return self.sentence.text


class SentenceStore:
    """Sentences, speakers, outlets and sentence vectors, cached across questions.

    The cache is dropped whenever the index generation changes (an ingest or removal happened).
    One engine serves the app's concurrent requests, so the caches are guarded by a lock; the
    embedding itself runs outside it.
    """

    def __init__(self, index: Index, capacity: int = 512) -> None:
        self.index = index
        self.capacity = capacity
        self._lock = threading.RLock()
        self._generation = -1
        self._sentences: OrderedDict[str, tuple[Sentence, ...]] = OrderedDict()
        self._vectors: OrderedDict[tuple[str, int, int], np.ndarray] = OrderedDict()
        self._speakers: list[tuple[str, int]] | None = None
        self._outlets: list[tuple[str, int]] | None = None
        self._outlet_share: float | None = None

    def refresh(self) -> None:
        """Forget everything if the index changed since the last question."""
        generation = self.index.generation
        with self._lock:
            if generation != self._generation:
                self._generation = generation
                self._sentences.clear()
                self._vectors.clear()
                self._speakers = None
                self._outlets = None
                self._outlet_share = None

    def sentences(self, article_id: str) -> tuple[Sentence, ...]:
        with self._lock:
            found = self._sentences.get(article_id)
            if found is not None:
                self._sentences.move_to_end(article_id)
                return found
        found = self.index.sentences(article_id)
        with self._lock:
            self._sentences[article_id] = found
            while len(self._sentences) > self.capacity:
                self._sentences.popitem(last=False)
        return found

    def speakers(self) -> list[tuple[str, int]]:
        with self._lock:
            if self._speakers is None:
                self._speakers = self.index.speakers()
            return self._speakers

    def outlets(self) -> list[tuple[str, int]]:
        with self._lock:
            if self._outlets is None:
                self._outlets = self.index.outlets()
            return self._outlets

    def outlet_metadata(self) -> float:
        """Share of the index's articles (wire copies included) whose outlet is known."""
        with self._lock:
            if self._outlet_share is None:
                stats = self.index.stats()
                total = stats.articles + stats.duplicates
                self._outlet_share = sum(n for _, n in self.outlets()) / total if total else 1.0
            return self._outlet_share

    def cached_vector(self, sentence: Sentence) -> np.ndarray | None:
        """The sentence's vector if it was embedded before (never embeds)."""
        with self._lock:
            return self._vectors.get((sentence.article_id, sentence.start, sentence.end))

    def sentence_vectors(self, embedder, sentences: Sequence[Sentence]) -> list[np.ndarray]:
        """Vectors for sentences: cached, else stored at ingest, else embedded now (an article
        stored before sentence vectors existed)."""
        keys = [(s.article_id, s.start, s.end) for s in sentences]
        with self._lock:
            found = {k: self._vectors[k] for k in keys if k in self._vectors}
        new = self._stored_vectors([s for s, k in zip(sentences, keys) if k not in found])
        missing = [i for i, k in enumerate(keys) if k not in found and k not in new]
        if missing:
            vectors = embedder.embed([sentences[i].text for i in missing])
            new.update((keys[i], np.asarray(v, dtype=np.float32)) for i, v in zip(missing, vectors))
        with self._lock:
            for key, vector in new.items():
                found[key] = self._vectors[key] = vector
            while len(self._vectors) > self.capacity * 40:
                self._vectors.popitem(last=False)
        return [found[k] for k in keys]

    def _stored_vectors(self, sentences: Sequence[Sentence]) -> dict[tuple[str, int, int], np.ndarray]:
        """The vectors ingest stored for these sentences, by (article id, start, end)."""
        out: dict[tuple[str, int, int], np.ndarray] = {}
        for article_id in dict.fromkeys(s.article_id for s in sentences):
            stored = self.index.sentence_vectors(article_id)
            for sentence in sentences:
                if sentence.article_id == article_id and (sentence.start, sentence.end) in stored:
                    out[(article_id, sentence.start, sentence.end)] = stored[(sentence.start, sentence.end)]
        return out


def gather_candidates(store: SentenceStore, passages: Sequence[Passage],
                      dense_scores: Mapping[str, float]) -> list[Candidate]:
    """The sentences inside the retrieved chunks, each with the best score of a chunk holding it."""
    if not passages:
        return []
    top = max(p.score for p in passages) or 1.0
    found: dict[tuple[str, int], Candidate] = {}
    for passage in passages:
        chunk = passage.chunk
        scaled = passage.score / top
        chunk_dense = float(dense_scores.get(chunk.id, 0.0))
        for sentence in store.sentences(chunk.article_id):
            if sentence.start < chunk.start or sentence.end > chunk.end or not sentence.text.strip():
                continue
            key = (sentence.article_id, sentence.index)
            known = found.get(key)
            if known is None:
                found[key] = Candidate(
                    sentence=sentence, article=passage.article, position=sentence.index,
                    retrieval=scaled, chunk_dense=chunk_dense, stems=frozenset(content_stems(sentence.text)),
                )
            else:
                known.retrieval = max(known.retrieval, scaled)
                known.chunk_dense = max(known.chunk_dense, chunk_dense)
    return list(found.values())


def cited(book: "CitationBook", candidate: Candidate, before: str = "") -> str:
    """A sentence quoted with its citation marker, and whom its pronoun or description stands
    for when the statement extractor resolved it: "... ,” she said. [3] (she: Dana Whitcombe)".
    `before`: what the reader has just read beside it; a speaker named there needs no note."""
    return f"{candidate.text}{book.cite_sentence(candidate)}{speakers_meant(candidate, before)}"


def speakers_meant(candidate: Candidate, before: str = "") -> str:
    """ " (she: Dana Whitcombe)", " (the company: Kessler Terminals)": the speakers this sentence
    attributes words to by a pronoun or a description; "" when it (or `before`) names them."""
    s = candidate.sentence
    notes: list[str] = []
    for st in candidate.statements:
        mention = " ".join(st.speaker_mention.split())
        if not (s.start <= st.speaker_span[0] < s.end) or not mention or not st.speaker:
            continue
        names = {w.lower() for w in st.speaker.split()}
        named = {w.lower() for w in re.findall(r"[A-Z][\w'’-]+", mention)} & names
        shown_before = st.speaker.split()[-1] in before
        note = f"{mention}: {st.speaker}"
        if not named and not shown_before and mention.lower() != st.speaker.lower() and note not in notes:
            notes.append(note)
    return f" ({'; '.join(notes[:MAX_MEANT])})" if notes else ""


MAX_MEANT = 2


def attach_statements(candidates: Sequence[Candidate], statements: Sequence[Statement]) -> None:
    """Give each candidate the statements whose span overlaps it."""
    by_article: dict[str, list[Statement]] = {}
    for statement in statements:
        by_article.setdefault(statement.article_id, []).append(statement)
    for candidate in candidates:
        s = candidate.sentence
        candidate.statements = tuple(
            st for st in by_article.get(s.article_id, ())
            if statement_start(st) < s.end and statement_end(st) > s.start
        )


def statement_start(statement: Statement) -> int:
    return min(statement.speaker_span[0], statement.cue_span[0], statement.content_span[0])


def statement_end(statement: Statement) -> int:
    return max(statement.speaker_span[1], statement.cue_span[1], statement.content_span[1])


def term_weights(question_stems: Sequence[str], texts_stems: Sequence[frozenset[str]]) -> dict[str, float]:
    """Weights of the question's stems: rarer among the candidates means more telling."""
    count = len(texts_stems) or 1
    weights: dict[str, float] = {}
    for s in dict.fromkeys(question_stems):
        df = sum(1 for stems in texts_stems if s in stems)
        weights[s] = float(np.log(1.0 + (count + 1) / (df + 0.5)))
    return weights


def lexical_score(stems: frozenset[str], weights: Mapping[str, float]) -> float:
    """Weighted share of the question's stems that the text holds (0..1)."""
    total = sum(weights.values())
    if not total:
        return 0.0
    return sum(w for s, w in weights.items() if s in stems) / total


# Score weights: the sentence's own similarity to the question matters most; the chunk's
# retrieval rank and word overlap keep it honest when the sentence is short or generic.
W_DENSE, W_LEXICAL, W_RETRIEVAL, W_CHUNK = 0.45, 0.30, 0.10, 0.15
LACKS_EXPECTED = 0.85  # a sentence without the amount (time) a "how much" ("when") question asks for
HEADLINE_SHARE = 0.8  # of the headline's word overlap that its story's lead sentence counts as its own
EMBED_TOP = 16  # sentences embedded per question at most: MiniLM does ~230/s on 2 cores (~70 ms)
EMBED_MIN = 6  # ... and at least (when there are as many)
EMBED_KIND = 6  # ... and this many more that hold what the question asks for (an amount, a time)
PHRASE_BOOST = 0.06  # for the question's adjacent word pairs found adjacent ("changed its story"), by share
KIND_BOOST = 0.12  # for holding what the question asks for, in full from KIND_DENSE or a 0.3 word overlap
KIND_DENSE = 0.3


def score_candidates(
    candidates: list[Candidate],
    question: QuestionInfo,
    query_vector: np.ndarray,
    store: SentenceStore,
    embedder,
    embed_top: int = EMBED_TOP,
) -> list[Candidate]:
    """Score every candidate and return them best first.

    A first pass ranks by word overlap and retrieval score; only the best `embed_top` sentences are
    embedded (embedding all of them would cost more than the whole retrieval).
    """
    if not candidates:
        return []
    # The topic words decide relevance: "denied" alone matches any denial, "summary" nothing.
    focus = (*question.stems, *sorted(question.speaker_words)) or question.all_stems
    weights = term_weights(focus, [c.stems for c in candidates])
    answers_kind: set[int] = set()  # the candidates holding what the question asks for (an amount, a time)
    pairs = word_pairs(question.text)
    for c in candidates:
        c.lexical = lexical_score(c.stems, weights)
        if c.position == 0:
            # A headline sums up its story's lead: "What did the state tests find?" asks what the
            # lead under "State tests find solvent in the Ostra" says, in other words.
            headline = frozenset(content_stems(c.article.title))
            c.lexical = max(c.lexical, HEADLINE_SHARE * lexical_score(c.stems | headline, weights))
        c.statement_boost = _statement_boost(c, question) * min(1.0, c.lexical / 0.3)
        if question.expects and holds_expected(c.text, question.expects):
            c.statement_boost += KIND_BOOST * min(1.0, c.lexical / 0.3)  # "how much": the amount answers it
            answers_kind.add(id(c))
        if pairs:
            # A phrase of the question kept whole says more than its words apart: "Did Kessler change
            # its story?" is answered by "The company has changed its story twice" ("story" alone
            # frames a question), not by the ministry's log that "contradicted Kessler's account".
            c.statement_boost += PHRASE_BOOST * len(pairs & word_pairs(c.text)) / len(pairs)
        c.score = 0.55 * c.lexical + 0.20 * c.retrieval + 0.25 * max(c.chunk_dense, 0.0) + c.statement_boost
    candidates.sort(key=lambda c: c.score, reverse=True)
    vector = np.asarray(query_vector, dtype=np.float32)
    if vector.size and embed_top > 0:
        # Only sentences that could still come out on top are worth embedding.
        first = candidates[0].score
        head = [c for i, c in enumerate(candidates[:embed_top]) if i < EMBED_MIN or c.score >= first * 0.5]
        # ... and those holding what the question asks for, whatever their words: "roughly 3,000
        # liters of toluene escaped" answers "How much leaked?" without the word "leak".
        in_head = {id(c) for c in head}
        kind = [c for c in candidates if id(c) in answers_kind and id(c) not in in_head][:EMBED_KIND]
        vectors = store.sentence_vectors(embedder, [c.sentence for c in head + kind])
        for c, v in zip(head + kind, vectors):
            c.dense = float(np.dot(v, vector)) if v.shape == vector.shape else None
    for c in candidates:
        if id(c) in answers_kind and c.dense is not None:
            # The amount (time) boost, held back above for a sentence sharing no word with the
            # question, is given in full to one close to it in meaning.
            c.statement_boost += KIND_BOOST * max(0.0, min(1.0, c.dense / KIND_DENSE) - min(1.0, c.lexical / 0.3))
        dense = c.dense if c.dense is not None else c.chunk_dense * 0.8
        c.score = (W_DENSE * max(dense, 0.0) + W_LEXICAL * c.lexical + W_RETRIEVAL * c.retrieval
                   + W_CHUNK * max(c.chunk_dense, 0.0) + c.statement_boost)
        if len(c.text.split()) < 6:
            c.score *= 0.6  # "Kessler denied that." says little on its own
        if question.expects and id(c) not in answers_kind:
            c.score *= LACKS_EXPECTED  # "When did Kessler tell the city?" is not answered by its denial
    candidates.sort(key=lambda c: c.score, reverse=True)
    return candidates


def _statement_boost(candidate: Candidate, question: QuestionInfo) -> float:
    """Sentences holding a statement by a speaker the question names, or of the stance it asks."""
    boost = 0.0
    for st in candidate.statements:
        value = 0.0
        if question.speakers and question.asks_speech and st.speaker in question.speakers:
            value += 0.15
        if question.stances and st.stance in question.stances:
            value += 0.12
        elif question.asks_who:
            value += 0.04
        boost = max(boost, value)
    return boost


def remove_near_duplicates(candidates: Sequence[Candidate], threshold: float = 0.8) -> list[Candidate]:
    """Keep one of each group of near-identical sentences, in the place of the best (the input is
    best first). When the best is a short one held in a much fuller one (a headline repeated
    above the lede that tells it in full), the fuller sentence takes its place."""
    kept: list[Candidate] = []
    for c in candidates:
        same = next((i for i, k in enumerate(kept) if _near_same(c.stems, k.stems, threshold)), None)
        if same is None:
            kept.append(c)
        elif len(c.stems) >= 1.5 * len(kept[same].stems):
            kept[same] = c
    return kept


def _near_same(a: frozenset[str], b: frozenset[str], threshold: float) -> bool:
    if not a or not b:
        return a == b
    return jaccard(set(a), set(b)) >= 0.6 or (similarity(set(a), set(b)) >= threshold and min(len(a), len(b)) >= 4)


# ----------------------------------------------------------------------------- citations

# Citation markers are placed while an answer is composed and numbered at the end, in order of
# first appearance (text first, then the table), so numbering never depends on composition order.
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"
_MARK = re.compile(f"{_MARK_OPEN}(\\d+){_MARK_CLOSE}")


@dataclass
class CitationBook:
    """Collects cited spans while an answer is composed, then numbers them."""

    index: Index
    _spans: list[tuple[ArticleInfo, int, int, str]] = field(default_factory=list)
    _by_span: dict[tuple[str, int, int], int] = field(default_factory=dict)
    _texts: dict[str, str] = field(default_factory=dict)

    def cite(self, article: ArticleInfo, start: int, end: int) -> str:
        """A marker for the span, or "" when the span cannot be verified against the stored text."""
        key = (article.id, start, end)
        if key in self._by_span:
            return self._marker(self._by_span[key])
        text = self._article_text(article.id)
        if text is None or not (0 <= start < end <= len(text)):
            log.warning("not citing %s[%s:%s]: outside the stored text", article.id, start, end)
            return ""
        self._by_span[key] = len(self._spans)
        self._spans.append((article, start, end, text[start:end]))
        return self._marker(len(self._spans) - 1)

    def cite_sentence(self, candidate: Candidate) -> str:
        return self.cite(candidate.article, candidate.sentence.start, candidate.sentence.end)

    def text_of(self, article_id: str, start: int, end: int) -> str:
        return (self._article_text(article_id) or "")[start:end]

    def _article_text(self, article_id: str) -> str | None:
        if article_id not in self._texts:
            self._texts[article_id] = self.index.article_text(article_id)
        return self._texts[article_id]

    @staticmethod
    def _marker(slot: int) -> str:
        return f" {_MARK_OPEN}{slot}{_MARK_CLOSE}"

    def finish(self, text: str, table_cells: Sequence[Sequence[str]] = (), notes: Sequence[str] = ()):
        """Number citations by first appearance; return (text, rows, notes, citations)."""
        order: dict[int, int] = {}
        for part in [text, *[c for row in table_cells for c in row], *notes]:
            for m in _MARK.finditer(part):
                slot = int(m.group(1))
                if slot not in order:
                    order[slot] = len(order) + 1

        def number(part: str) -> str:
            return _MARK.sub(lambda m: f"[{order[int(m.group(1))]}]", part)

        citations = []
        for slot, n in sorted(order.items(), key=lambda item: item[1]):
            article, start, end, cited = self._spans[slot]
            stored = self._article_text(article.id) or ""
            if stored[start:end] != cited:  # cannot happen unless the index changed under us
                raise AssertionError(f"citation {n} does not match the stored text of {article.id}")
            citations.append(Citation(number=n, article=article, start=start, end=end, text=cited))
        rows = tuple(tuple(number(c) for c in row) for row in table_cells)
        return number(text), rows, tuple(number(n) for n in notes), tuple(citations)


def sentence_span_around(store: SentenceStore, statement: Statement) -> tuple[int, int]:
    """The span of whole sentences covering a statement (a readable, verbatim citation)."""
    start, end = statement_start(statement), statement_end(statement)
    covering = [s for s in store.sentences(statement.article_id) if s.start < end and s.end > start]
    if not covering:
        return start, end
    return min(start, covering[0].start), max(end, covering[-1].end)


# ----------------------------------------------------------------------------- display helpers


def outlet_name(article: ArticleInfo) -> str:
    return article.outlet or "Unknown outlet"


def date_of(article: ArticleInfo) -> str:
    return (article.published_at or "")[:10]


def source_label(article: ArticleInfo) -> str:
    """"Harbor Ledger, 2024-03-12" (with wire copies: "also published by ...")."""
    parts = [outlet_name(article)]
    if date_of(article):
        parts.append(date_of(article))
    label = ", ".join(parts)
    if article.also_published_by:
        label += f"; also published by {copies_label(article)}"
    return label


def copies_label(article: ArticleInfo) -> str:
    """The outlets that ran an article as a wire copy, each with the day it did when that is not
    the article's own ("Northbank Daily on 2024-03-15"): a date filter may have let the article in
    for that day."""
    own_day = date_of(article)
    named = []
    for outlet in article.also_published_by:
        days = sorted({(published or "")[:10] for o, published in article.copies if o == outlet} - {own_day, ""})
        named.append(f"{outlet} on {', '.join(days)}" if days else outlet)
    return ", ".join(named)


def passes_filters(article: ArticleInfo, filters: Filters) -> bool:
    """Whether an article falls inside explicit filters (used for statements found by speaker).
    As in the index's searches, the outlet and date filters pass when the article or one of its
    recorded wire copies was published by those outlets within those dates."""
    if filters.article_ids and article.id not in filters.article_ids:
        return False
    publications = ((article.outlet, article.published_at), *article.copies)
    return any(_published_within(outlet, published, filters) for outlet, published in publications)


def _published_within(outlet: str | None, published: str | None, filters: Filters) -> bool:
    if filters.outlets and outlet not in filters.outlets:
        return False
    date = (published or "")[:10]
    if filters.since and (not date or date < filters.since[:10]):
        return False
    if filters.until and (not date or date > filters.until[:10]):
        return False
    return True
