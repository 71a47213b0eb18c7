"""Attribute stage: who said what, as Statement records with exact spans into the article text.

Rule based (no model): news attribution is formulaic enough that a cue-verb lexicon, quote
pairing and a few noun-phrase rules find most statements, and it runs at ingest speed.

Patterns handled (see tests/test_attribute.py):
  direct quotes  `“...,” X said.`  `“...,” said X.`  `“...?” X asked.`  `X said: “...”`
                 `X responded ..., saying, “...”`; a quote may run over several sentences;
                 `“A,” X said. “B.”`, `X said: “A.” “B.”`, `X said Y. “B.”`: a quote with no
                 attribution of its own that opens the next sentence of the paragraph goes on
                 with the one speaker of the sentence before (a statement with the same speaker
                 and cue; `“B.” “C.”` are two); see `_continuing_quotes`.
  indirect       `X said (that) Y`  `X added in a statement that Y`  `X told reporters Y`
                 `Y, X said.`  `According to X, Y`  `Y, according to X.`  `X denied Y`
                 `X accused Z of Y`  `X blamed Z for Y`  `X promised/vowed/threatened to Y`
                 `X, who ..., said Y` (apposition and parentheticals skipped), `... and said Y`
                 (the clause subject speaks), `a video that he claimed showed Y` (relative clauses).
Content spans: for direct quotes the text inside the quote marks (a trailing comma dropped);
for indirect speech the clause after the cue (after "that", "to", "of", a recipient or adjunct),
ending at the end of the clause; a sentence-final "." outside quotes is not part of it.
Speakers are resolved inside the article (see `_Registry`): pronouns to the last fitting
speaker or sentence subject, descriptions ("the ministry") to the latest entity with that head
noun, surnames to full names; every mention of one entity gets one canonical name. Titles
before a name are not part of it ("Council President Jonas Elm" is Jonas Elm, and so is a later
"Elm"); a body's own name is ("Riverside Dockworkers' Union").
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
from dataclasses import dataclass, field
from typing import Sequence

from .normalize import NAME_PARTICLES
from .records import Sentence, Statement

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------
# Lexicon

_CUE_FORMS: dict[str, tuple[str, ...]] = {
    "assert": (
        "say says said saying tell tells told telling add adds added adding state states stated "
        "announce announces announced explain explains explained note notes noted write writes "
        "wrote insist insists insisted argue argues argued report reports reported declare "
        "declares declared stress stresses stressed emphasize emphasized emphasised predicted "
        "estimated maintained maintains remarked commented tweeted posted responded replied "
        "continued suggested suggests repeated reiterated"
    ).split(),
    "deny": "deny denies denied denying reject rejects rejected dismiss dismisses dismissed "
    "refute refutes refuted dispute disputes disputed rebuffed".split(),
    "accuse": "accuse accuses accused accusing blame blames blamed blaming charged "
    "criticized criticised condemned".split(),
    "promise": "promise promises promised pledge pledges pledged vow vows vowed swore".split(),
    "warn": "warn warns warned warning threaten threatens threatened threatening "
    "cautioned".split(),
    "admit": "admit admits admitted conceded concedes confessed".split(),
    "confirm": "confirm confirms confirmed acknowledge acknowledges acknowledged verified".split(),
    "question": "ask asks asked questioned questions wondered queried".split(),
    "claim": "claim claims claimed claiming allege alleges alleged contend contends "
    "contended".split(),
}
_CUE_CLASS = {form: stance for stance, forms in _CUE_FORMS.items() for form in forms}


def cue_class(cue: str) -> str | None:
    """What kind of speech act a cue's verb is ("deny" for "rejected"), whatever the stance the
    statement got from its content: "the company said ..." after its denial carries the denial
    on, yet its cue asserts."""
    words = cue.lower().split()
    return _CUE_CLASS.get(words[-1]) if words else None
# Cue forms that are usually nouns inside a speaker phrase: "state officials", "report".
_NOUN_LIKE_CUES = frozenset("state states report reports claim claims promise promises pledge "
                            "pledges vow vows dispute disputes warning question questions note "
                            "notes charged".split())
# "reported a faulty valve" reports an event, not speech: these count only before "that",
# next to a quote or at the end of a sentence ("..., Kyiv Post reported.").
_THAT_ONLY_CUES = frozenset("report reports reported announce announces announced".split())
_MODALS = frozenset("would will could should may might must can shall".split())
# Verbs that attribute speech only next to a quote or at the end of a sentence ("...," she
# replied); "responded to the claims" or "posted a video" are not statements by themselves.
_QUOTE_ONLY_CUES = frozenset("responded replied continued posted tweeted".split())
# Verbs that take the reported content as their object: "denied the claim", "confirmed two deaths".
_OBJECT_CUES = frozenset(_CUE_FORMS["deny"] + _CUE_FORMS["confirm"] + _CUE_FORMS["admit"])
_TELL_CUES = frozenset("tell tells told telling".split())
_TO_CUES = frozenset(_CUE_FORMS["promise"] + _CUE_FORMS["warn"])  # "vowed to fight"
_ACCUSE_PREPOSITION = {"accuse": "of", "accuses": "of", "accused": "of", "accusing": "of",
                       "blame": "for", "blames": "for", "blamed": "for", "blaming": "for",
                       "charged": "with", "criticized": "for", "criticised": "for",
                       "condemned": "for"}
# "said on Monday that", "added in a radio interview that": adjuncts before "that".
_ADJUNCT_OPENERS = frozenset("on in at during after before late early earlier later last this "
                             "via through to".split())

_DETERMINERS = frozenset("the a an this that these those its their his her our my your several "
                         "many some any no every each another".split())
_BE_FORMS = frozenset("is was were be been being are am".split())
_NEGATIONS = frozenset("not n't never".split())
_SKIPPABLE_BEFORE_CUE = frozenset(
    "reportedly also first later earlier then again previously repeatedly publicly officially "
    "once further subsequently allegedly purportedly apparently supposedly separately initially "
    "has have had "
    "this week last today yesterday on monday tuesday wednesday thursday friday saturday sunday "
    "morning afternoon evening night".split()
)
_STOP_WORDS = frozenset(
    "and or but though although while as because since if when where whereas that which who "
    "whom whose to of in on at by for with from into about after before than then so also not "
    "is was were be been are has have had did does do would will could should may might can "
    "it he she they we i you him them us me there here said says".split()
) | _DETERMINERS
_PRONOUNS = {"he": "person", "she": "person", "they": "group", "it": "org", "we": "group",
             "i": "person"}

# Capitalised words that are titles, not names: "Transport Minister Helena Duarte".
_TITLE_WORDS = frozenset(
    """
    president vice prime minister secretary deputy governor mayor senator sen sen. rep rep.
    gov gov. gen gen. general mr mr. mrs mrs. ms ms. dr dr. prof prof. detective inspector
    chief executive chairman chairwoman chair spokesperson spokesman spokeswoman director
    commander colonel captain lieutenant sergeant judge justice ambassador envoy
    foreign defense defence interior finance health transport justice opposition leader rebel
    former acting striker carmaker coach manager founder head king queen prince pope
    pharmaceutical council member lawmaker minister's u.n. u.s. u.k. e.u. club agency steward
    union officer speaker sheriff treasurer commissioner clerk superintendent chancellor trustee
    councillor councilor councilman councilwoman alderman auditor comptroller
    """.split()
) | frozenset("""
    fisherman fisherwoman farmer teacher lawyer attorney doctor nurse activist resident witness
    analyst economist historian toxicologist scientist researcher professor student driver pilot
    worker owner shopkeeper engineer
    """.split())


# What the text says of a person's gender, used only to keep "he" or "she" from a person it cannot
# be: a courtesy title or gendered role word before the name ("Ms. Amsel", "spokeswoman Lena
# Haas"), else a common first name that is not used for both. Unknown fits either pronoun.
_FEMALE_WORDS = frozenset(
    "ms ms. mrs mrs. miss madam dame lady queen princess duchess chairwoman spokeswoman councilwoman "
    "congresswoman businesswoman fisherwoman policewoman sister mother daughter wife widow actress".split()
)
_MALE_WORDS = frozenset(
    "mr mr. sir lord king prince duke chairman spokesman councilman congressman businessman fisherman "
    "policeman alderman brother father son husband widower actor".split()
)
_FEMALE_FIRST_NAMES = frozenset("""
    mary patricia jennifer linda elizabeth barbara susan jessica sarah karen nancy lisa betty margaret
    sandra ashley kimberly emily donna michelle dorothy carol amanda melissa deborah stephanie rebecca
    sharon laura cynthia kathleen amy angela shirley anna brenda pamela emma nicole helen samantha
    katherine christine debra rachel carolyn janet catherine maria heather diane ruth julie olivia joyce
    virginia victoria lauren christina joan evelyn judith megan cheryl hannah jacqueline martha gloria
    teresa ann anne sara madison frances kathryn janice abigail alice judy sophia grace denise amber
    doris marilyn danielle beverly isabella theresa diana natalie brittany charlotte marie kayla lori
    elena carla ingrid ursula kamala hillary giorgia marine annalena sanna jacinda liz kristalina nikki
    marjorie alexandria ilhan olena yulia svetlana olga natalia tatiana irina anastasia ana sofia lucia
    carmen isabel fatima aisha leila priya sunita mei yuki lena eva marta helena ines agnieszka katarzyna
    claudia francesca giulia beatriz camila valentina ngozi amina greta annika astrid sigrid birgit
""".split())
_MALE_FIRST_NAMES = frozenset("""
    james robert john michael david william richard joseph thomas charles christopher daniel matthew
    anthony mark donald steven paul andrew joshua kenneth kevin brian george timothy ronald edward
    jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin scott brandon benjamin
    samuel gregory alexander frank patrick raymond jack dennis jerry tyler aaron jose adam nathan henry
    douglas zachary peter kyle noah ethan jeremy walter keith roger austin sean gerald carl harold
    dylan arthur lawrence jesse bryan billy bruce gabriel joe logan alan juan albert willie elijah
    wayne randy vincent mason roy ralph bobby russell bradley philip eugene vladimir dmitry sergei
    sergey yevgeny alexei volodymyr emmanuel olaf boris rishi keir barack narendra recep mohammed
    muhammad ahmed ali hassan omar pierre jacques francois hans klaus friedrich giuseppe marco carlos
    luis pedro javier miguel elon jeff tim satya sundar bill jensen adrian tomas piotr marcus jonas
    ramon antony mikhail ivan viktor oleksandr andriy yuri igor anatoly nikolai lars sven erik
""".split())


def _gender_of(name: str, roles: Sequence[str]) -> str:
    """ "f", "m" or "" (not said) for a person named `name` after the role words `roles`."""
    words = {r.lower() for r in roles}
    if words & _FEMALE_WORDS:
        return "f"
    if words & _MALE_WORDS:
        return "m"
    parts = name.split()
    first = parts[0].lower() if len(parts) > 1 else ""
    return "f" if first in _FEMALE_FIRST_NAMES else "m" if first in _MALE_FIRST_NAMES else ""


def gender_of(name: str) -> str:
    """ "f", "m" or "" (not known) for a person's name, from its first name alone."""
    return _gender_of(name, ())


def is_title_word(word: str) -> bool:
    """ "mayor", "director", "Chief": a word of a title or role written before a name."""
    return word.lower() in _TITLE_WORDS


# Titles written with a dot ("Dr.", "Gov."): the dot is a token of its own and ends nothing.
_TITLE_ABBREVIATIONS = frozenset(w[:-1] for w in _TITLE_WORDS if w.endswith(".") and w[:-1].isalpha())
# Head nouns that make a phrase an organisation (or a group of people, for plurals).
_ORG_HEADS = frozenset(
    """
    ministry government kremlin council union service commission police company observatory
    agency office department army military court party group committee authority post times
    motors inc inc. corp corp. ltd ltd. bank parliament senate congress cabinet administration
    embassy firm club federation association institute university hospital network operator
    organisation organization board college foundation coalition alliance command
    terminals airlines airways systems industries holdings energy technologies labs partners
    media pharmaceuticals analytical network networks bank group
    """.split()
)
_GROUP_HEADS = frozenset(
    """
    officials unions representatives residents police authorities experts analysts sources
    lawmakers officers workers protesters activists investigators prosecutors doctors nurses
    scientists researchers members leaders critics witnesses families astronomers
    """.split()
)
# Lowercase words that may sit inside a speaker phrase read forwards from a sentence start.
_NP_LOWER_WORDS = _ORG_HEADS | _GROUP_HEADS | frozenset(
    """
    military presidential senior regional emergency foreign defense defence local chief
    executive general ethics city state national federal official spokesperson spokesman
    spokeswoman member chair president minister secretary leader commander founder agent
    operator tram company commission electoral consumer group health rebel club opposition
    director steward toxicologist analyst economist lawyer
    """.split()
) | _TITLE_WORDS
# Heads of public bodies: "the company" never refers to them.
_PUBLIC_BODY_HEADS = frozenset("""
    ministry government kremlin council union service commission police agency office department
    army military court party parliament senate congress cabinet administration embassy authority
    committee observatory university hospital
    """.split())
# A spokesperson or official of a named organisation speaks for it: "a ministry spokesman".
_SPOKES_HEADS = frozenset("spokesman spokeswoman spokesperson official officials representative "
                          "representatives source sources".split())
# Words that pick out the class of an organisation for descriptions: "the company" -> Velto Motors.
_ORG_CLASS_WORDS = {
    "company": ("company", "firm", "carmaker", "automaker", "maker", "manufacturer", "motors",
                "inc", "inc.", "corp", "corp.", "ltd", "ltd.", "group", "operator"),
    "firm": ("company", "firm", "carmaker", "motors", "inc", "corp", "ltd"),
}
# Words describing what kind of organisation a name is: "Carmaker Velto Motors".
_ORG_DESCRIPTORS = frozenset("carmaker automaker pharmaceutical broadcaster airline retailer "
                             "insurer lender bank miner chipmaker startup".split())
_QUOTE_OR_BREAK = re.compile("[“”\"\n]")
_QUOTE_OPEN = "“"
_QUOTE_CLOSE = "”"
_ANY_QUOTE = "“”\""

_TOKEN = re.compile(
    r"(?:[A-Za-z]\.){2,}|[A-Z]\.(?=\s)|\w+(?:[’'.\-:]\w+)*(?:[’']s\b|(?<=s)[’'](?!\w))?|[^\w\s]"
)
_ABBREVIATION_END = re.compile(r"(?:\b(?:[A-Za-z]\.){2,}|\b(?:Inc|Corp|Ltd|Co|Jr|Sr)\.)$")
# Words that deny a claim whoever says them: "the reports were untrue", "we reject ...".
_DENY_CONTENT = re.compile(
    r"\b(?:untrue|not true|false|baseless|groundless|fabricat\w*|no truth|no record|no basis"
    r"|reject\w*|(?:do|does) not accept|not an admission)\b",
    re.IGNORECASE,
)
# A negated sentence denies only what its speaker is said to have done: "We have never withheld
# data", "he did not know the developer". "Boiling does not make this water safe" warns, and
# "the caller did not ask for help" reports. The speaker is the subject when the quote speaks in
# the first person, or when reported speech opens with a pronoun (which refers back to them).
# Negated plans and refusals ("we will not accept", "we are not going to gamble") and "never seen
# anything like it" deny nothing that was said about the speaker: `_NOT_A_DENIAL` rules them out.
_NEGATION = r"(?:not|never|n[’']t|no longer)"
_FIRST_PERSON_NEGATION = re.compile(
    rf"\b(?:I|we)((?:\s+\w+){{0,2}}?)(?:\s+|(?<=\w)){_NEGATION}\b(.{{0,20}})", re.IGNORECASE,
)
_REPORTED_SELF_NEGATION = re.compile(
    rf"^(?:he|she|it|they|we|I)((?:\s+\w+){{0,2}}?)(?:\s+|(?<=\w)){_NEGATION}\b(.{{0,20}})",
    re.IGNORECASE,
)
_FUTURE_OR_ABILITY = frozenset("will would shall wo ca can could".split())
_NOT_A_DENIAL = re.compile(r"^\s+(?:going to|seen|heard|witnessed|experienced)\b", re.IGNORECASE)
_ANY_NEGATION = re.compile(rf"\b(?:{_NEGATION}|no|nothing|nobody)\b|n[’']t\b", re.IGNORECASE)
_WARNING_CONTENT = re.compile(
    r"\b(?:unsafe|dangerous|hazardous|should not|must not|(?:not|never)(?:\s+\w+){0,3}\s+safe)\b",
    re.IGNORECASE,
)
_COMMITMENT = re.compile(r"\b(?:we|I)(?: will|[’']ll)\b(?!\s+not)", re.IGNORECASE)
_ACCUSE_CONTENT = re.compile(r"\b(?:misleading|lying|lied to|to blame|responsible for)\b",
                             re.IGNORECASE)
_TRAILING_TIME = re.compile(
    r"(?:\s+(?:on|this|last|earlier|late|early)\s+(?:this\s+)?(?:monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday|week)(?:\s+(?:morning|afternoon|evening|night"
    r"|week))?|\s+(?:yesterday|today))+$",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(
    r",\s+(?=(?:but|though|although|while|whereas|which|who|without|despite|saying|adding|"
    r"according|as|before|after)\b)|\s+[–—]\s+|\s*;\s+|\s+\("
    r"|\s+(?=(?:before|after|while|without)\s+\w+ing\b)"
    r"|,\s+(?=(?:a|an)\s+(?:claim|allegation|accusation|charge|assertion)\b)"
    r"|,\s+(?=(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|a\s+few|\d+)\s+"
    r"(?:days?|weeks?|months?|hours?|years?)\s+(?:after|before|later|earlier)\b)"
    r"|\s+(?=and\s+(?:also\s+)?(?:made|took|posted|went|gave|called|asked|said|added|"
    r"denied|accused|promised|vowed|warned|threatened|claimed|insisted)\b)"
)


class _Token:
    """A word or punctuation mark with its offsets (a plain slotted class: ingest makes many)."""

    __slots__ = ("text", "start", "end", "lower", "capitalised", "possessive")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text = text
        self.start = start
        self.end = end
        self.lower = text.lower()
        self.capitalised = text[:1].isupper()
        self.possessive = text.endswith(_POSSESSIVE_ENDINGS)

    def __repr__(self) -> str:
        return f"_Token({self.text!r}, {self.start}, {self.end})"


_POSSESSIVE_ENDINGS = ("’s", "'s", "s’", "s'")


def _tokens(text: str, start: int, end: int) -> list[_Token]:
    return [_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text, start, end)]


def _is_capitalised(token: _Token) -> bool:
    return token.capitalised


def _is_particle_in_name(tokens: Sequence[_Token], index: int) -> bool:
    """ "von", "der" in "Ursula von der Leyen": a lower-case particle with a name word after it
    (past any further particles)."""
    if tokens[index].lower not in NAME_PARTICLES:
        return False
    following = index + 1
    while following < len(tokens) and tokens[following].lower in NAME_PARTICLES:
        following += 1
    return following < len(tokens) and _is_capitalised(tokens[following])


def _is_possessive(token: _Token) -> bool:
    return token.possessive


# ---------------------------------------------------------------------------------------------
# Entities and resolution


@dataclass(eq=False)
class _Entity:
    name: str
    kind: str  # person | org | group
    words: set[str] = field(default_factory=set)  # lowercase head and role words
    keys: set[str] = field(default_factory=set)  # normalised names it goes by
    # A role described before its holder is named ("its chief executive said ..."): the next
    # person named with that role takes it over.
    pending_role: str = ""
    merged_into: "_Entity | None" = None
    gender: str = ""  # "f", "m" or "" (_gender_of): which of "she" and "he" it can be

    def canonical(self) -> "_Entity":
        entity = self
        while entity.merged_into is not None:
            entity = entity.merged_into
        return entity


@dataclass
class _Mention:
    """A speaker phrase as written, and what it refers to."""

    start: int
    end: int
    entity: _Entity


_MINISTRY_OF = re.compile(r"\bministry of (\w+)")
_DEFENCE = re.compile(r"\bdefence\b")


@functools.lru_cache(maxsize=4096)
def _normal(name: str) -> str:
    name = name.replace("’", "'").lower()
    name = _MINISTRY_OF.sub(r"\1 ministry", name)
    name = _DEFENCE.sub("defense", name)
    return " ".join(name.split())


def _display_org(words: list[str]) -> str:
    """"Russia’s defense ministry" -> "Russia's Defense Ministry" (capitalised after a name)."""
    text = " ".join(words).replace("’", "'")
    if not any(word[:1].isupper() for word in words):
        return text
    return " ".join(w if w[:1].isupper() or w in _LOWER_IN_NAMES else w[:1].upper() + w[1:]
                    for w in text.split())


_LOWER_IN_NAMES = frozenset("of the and for on in at de".split())
# Role heads that name the same role: "the force's founder and leader" is later
# "Wagner's chief Yevgeny Prigozhin".
_ROLE_SYNONYMS = {"chief": "leader", "head": "leader"}


def _role_meaning(role: str) -> str:
    role = role.lower()
    return _ROLE_SYNONYMS.get(role, role)


class _Registry:
    """Entities of one article, with the recency information pronouns need."""

    def __init__(self) -> None:
        self.entities: list[_Entity] = []
        self.salient: list[tuple[int, _Entity]] = []  # (offset, entity): speakers and subjects
        # Every entity, least recently mentioned first (a dict keeps order and moves cheaply).
        self.recent: dict[_Entity, int] = {}

    def person(self, full_name: str, roles: Sequence[str], position: int, salient: bool) -> _Entity:
        key = _normal(full_name)
        surname = key.split()[-1]
        entity = self._find(lambda e: e.kind == "person" and (key in e.keys or (
            len(key.split()) == 1 and surname in {k.split()[-1] for k in e.keys}) or (
            key.split()[0] in NAME_PARTICLES and any(_is_word_suffix(key, k) for k in e.keys))))
        if entity is None:
            entity = _Entity(full_name, "person")
            self.entities.append(entity)
        elif len(full_name.split()) > len(entity.name.split()):
            entity.name = full_name  # "Prigozhin" seen before "Yevgeny Prigozhin"
        entity.keys.add(key)
        entity.words.update(w.lower() for w in roles)
        entity.gender = entity.gender or _gender_of(full_name, roles)
        self._take_over_pending_role(entity, roles)
        self._note(position, entity, salient)
        return entity

    def role(self, words: list[str], position: int, salient: bool) -> _Entity:
        """A person known only by a role so far: "its chief executive", "a ministry official"."""
        entity = _Entity(" ".join(words).replace("’", "'"), "person",
                         pending_role=words[-1].lower(), gender=_gender_of("", words))
        entity.words.add(words[-1].lower())
        self.entities.append(entity)
        self._note(position, entity, salient)
        return entity

    def _take_over_pending_role(self, person: _Entity, roles: Sequence[str]) -> None:
        if not roles:
            return
        # Only the role's head counts: "Chief executive Dana Whitcombe" is an executive, neither
        # "the company's chief" nor "the force's founder and leader".
        head = _role_meaning(roles[-1])
        for entity in self.entities:
            if entity.pending_role and _role_meaning(entity.pending_role) == head and entity is not person:
                entity.merged_into = person
                entity.pending_role = ""

    def organisation(self, words: list[str], kind: str, roles: Sequence[str], position: int,
                     salient: bool) -> _Entity:
        key = _normal(" ".join(words))
        entity = self._find(lambda e: e.kind in ("org", "group") and any(
            _is_word_suffix(key, k) or _is_word_suffix(k, key) or _is_short_form(key, k)
            or _is_short_form(k, key) for k in e.keys))
        if entity is None:
            entity = _Entity(_display_org(words) if kind == "org" else " ".join(words), kind)
            self.entities.append(entity)
        elif len(key) > max(len(k) for k in entity.keys):
            # The fullest mention names the entity.
            entity.name = _display_org(words) if entity.kind == "org" else " ".join(words)
        entity.keys.add(key)
        entity.words.add(key.split()[-1])
        entity.words.update(w.lower() for w in roles)
        self._note(position, entity, salient)
        return entity

    def description(self, head: str, position: int) -> _Entity | None:
        """ "the ministry" / "the spokesperson": the latest entity with that head or role."""
        head = _normal(head)
        wanted = set(_ORG_CLASS_WORDS.get(head, ())) | {head}
        organisation_only = head in _ORG_HEADS  # "the agency" is not "agency director Obi"
        for entity in reversed(self.recent):
            if organisation_only and entity.kind == "person":
                continue
            if entity.words & wanted or any(_is_word_suffix(head, k) for k in entity.keys):
                self._note(position, entity, salient=True)
                return entity
        if head in _ORG_CLASS_WORDS:
            # "the company" with no company named as such: the latest business-like organisation.
            for entity in reversed(self.recent):
                if entity.kind == "org" and not any(
                    k.split()[-1] in _PUBLIC_BODY_HEADS for k in entity.keys
                ):
                    self._note(position, entity, salient=True)
                    return entity
        return None

    def pronoun(self, pronoun: str, position: int) -> _Entity | None:
        kind = _PRONOUNS[pronoun.lower()]
        fitting = {"person": ("person",), "group": ("group", "org"), "org": ("org",)}[kind]
        unfit_gender = {"he": "f", "she": "m"}.get(pronoun.lower(), "-")
        for preference in fitting:
            for offset, entity in reversed(self.salient):
                if offset < position and entity.kind == preference and entity.canonical().gender != unfit_gender:
                    self._note(position, entity, salient=True)
                    return entity
        return None

    def first_word(self, word: str) -> _Entity | None:
        key = _normal(word)
        return self._find(lambda e: e.kind == "person" and any(
            k.split()[0] == key and " " in k for k in e.keys))

    def surname(self, word: str) -> _Entity | None:
        key = _normal(word)
        return self._find(lambda e: e.kind == "person" and any(
            k.split()[-1] == key for k in e.keys))

    def _find(self, condition) -> _Entity | None:
        """The most recently mentioned entity meeting the condition."""
        for entity in reversed(self.recent):
            if condition(entity):
                return entity
        return None

    def _note(self, position: int, entity: _Entity, salient: bool) -> None:
        self.recent.pop(entity, None)
        self.recent[entity] = position
        if salient:
            self.salient.append((position, entity))


def _is_word_suffix(short: str, long: str) -> bool:
    return long == short or long.endswith(" " + short)


def _is_short_form(short: str, long: str) -> bool:
    """ "kessler" for "kessler terminals": a one-word name that opens a longer one."""
    return " " not in short and long.startswith(short + " ")


@dataclass(frozen=True)
class _Phrase:
    """A noun phrase naming a speaker: the tokens as written (no leading determiner)."""

    tokens: tuple[_Token, ...]

    @property
    def start(self) -> int:
        return self.tokens[0].start

    @property
    def end(self) -> int:
        return self.tokens[-1].end


def _resolve(phrase: _Phrase, registry: _Registry, salient: bool = True) -> _Mention | None:
    """The entity a phrase refers to, registering new names; the mention span is the name."""
    tokens = list(phrase.tokens)
    position = tokens[0].start
    if len(tokens) == 1 and tokens[0].lower in _PRONOUNS:
        entity = registry.pronoun(tokens[0].lower, position)
        if entity is None:
            entity = _Entity(tokens[0].text, _PRONOUNS[tokens[0].lower])
        return _Mention(tokens[0].start, tokens[0].end, entity)
    name_tokens, roles = _split_title(tokens)
    head = tokens[-1].lower
    if not name_tokens:
        # A description without a name: "the ministry", "Russia’s defense ministry", "officials".
        if head in _SPOKES_HEADS and len(tokens) == 2 and not _is_capitalised(tokens[0]):
            body = registry.description(tokens[0].lower, position)
            if body is not None and body.kind != "person":
                return _Mention(phrase.start, phrase.end, body)
        if len(tokens) == 1 and head not in _GROUP_HEADS:
            entity = registry.description(head, position)
            if entity is not None:
                return _Mention(phrase.start, phrase.end, entity)
        kind = "group" if head in _GROUP_HEADS or head.endswith("s") and head not in _ORG_HEADS \
            else "org"
        if head not in _ORG_HEADS and head not in _GROUP_HEADS and len(tokens) > 1:
            described = registry.description(head, position)
            if described is not None and described.kind == "person":
                return _Mention(phrase.start, phrase.end, described)
        words = [t.text for t in tokens]
        if head in _TITLE_WORDS and head not in _ORG_HEADS and not any(map(_is_capitalised, tokens)):
            entity = registry.role(words, position, salient)
            return _Mention(phrase.start, phrase.end, entity)
        entity = registry.organisation(words, kind, [], position, salient)
        return _Mention(phrase.start, phrase.end, entity)
    name_words = [t.text for t in name_tokens]
    # The role word right before the name tells its kind: "company Norvex", "member Joanna Pike".
    role_head = roles[-1].lower() if roles else ""
    is_org = any(w.lower() in _ORG_HEADS for w in name_words) or role_head in _ORG_HEADS or (
        role_head in _ORG_DESCRIPTORS
    )
    start, end = name_tokens[0].start, name_tokens[-1].end
    if is_org:
        entity = registry.organisation(name_words, "org", roles, position, salient)
        return _Mention(start, end, entity)
    if len(name_tokens) == 1 and not roles:
        known = registry.surname(name_words[0])
        if known is not None:
            registry._note(position, known, salient)
            return _Mention(start, end, known)
        opened = registry.first_word(name_words[0])
        if opened is not None:
            # People are not called by their first name in news copy: "Kessler" after
            # "Kessler Terminals" means the two words named an organisation.
            opened.kind = "org"
            registry._note(position, opened, salient)
            return _Mention(start, end, opened)
        entity = registry.organisation(name_words, "org", [], position, salient)
        return _Mention(start, end, entity)
    entity = registry.person(" ".join(name_words), roles, position, salient)
    return _Mention(start, end, entity)


def _split_title(tokens: list[_Token]) -> tuple[list[_Token], list[str]]:
    """Split "Harbour Authority chief executive Marta Lindqvist" into the name and role words."""
    # Walk back from the end, then slice once: inserting at the front for every token would be
    # quadratic in the length of a run of capitalised words.
    first = len(tokens)
    for index in range(len(tokens) - 1, -1, -1):
        token = tokens[index]
        has_tail = first < len(tokens)
        joins_names = token.lower == "of" and has_tail and index > 0 and _is_capitalised(tokens[index - 1])
        inner_possessive = _is_possessive(token) and has_tail  # "Riverside Dockworkers’ Union"
        particle = has_tail and _is_particle_in_name(tokens, index)  # "Ursula von der Leyen"
        if (_is_capitalised(token) and (not _is_possessive(token) or inner_possessive)) or joins_names or particle:
            first = index
        else:
            break
    while first < len(tokens) and tokens[first].lower == "of":
        first += 1
    # Drop leading titles: everything up to the last title word, if a name follows it.
    # Organisation names keep all their words: "Defense Ministry", "Royal College of Nursing".
    while first < len(tokens) and (
        tokens[first].lower in ("the", "a", "an") or tokens[first].lower in _ORG_DESCRIPTORS
    ):
        first += 1
    tail = tokens[first:]
    name = _name_after_title_of(tail)
    if name is None and any(t.lower in _ORG_HEADS for t in tail) and not _is_person_titled_by_body(tail):
        roles = [t.text for t in tokens[: len(tokens) - len(tail)]]
        return tail, [r for r in roles if not r.endswith(_POSSESSIVE_ENDINGS)]
    if name is None:
        last_title = -1
        for index, token in enumerate(tail[:-1]):
            if _is_title_word(token):
                last_title = index
        name = tail[last_title + 1 :]
    if len(name) == 1 and name[0].lower in _TITLE_WORDS:
        name = []
    roles = [t.text for t in tokens[: len(tokens) - len(name)]]
    return name, [r for r in roles if not r.endswith(_POSSESSIVE_ENDINGS)]


def _is_title_word(token: _Token) -> bool:
    lower = token.lower
    if "-" in lower:  # "Secretary-General", "Vice-President"; not "Jean-Pierre"
        return all(part in _TITLE_WORDS for part in lower.split("-"))
    return lower.rstrip(".") in _TITLE_WORDS or lower in _TITLE_WORDS


def _is_name_word(token: _Token) -> bool:
    return _is_capitalised(token) and not _is_title_word(token) and (
        token.lower not in _ORG_HEADS and token.lower not in _GROUP_HEADS)


def _is_name(tokens: Sequence[_Token]) -> bool:
    """Name words, with particles inside: "Antony Blinken", "Ursula von der Leyen"."""
    return all(_is_name_word(t) or _is_particle_in_name(tokens, i) for i, t in enumerate(tokens))


def _is_role_word(token: _Token) -> bool:
    """A title word that is not also a body ("Chief", not "Council" or "Union")."""
    return _is_title_word(token) and token.lower not in _ORG_HEADS


def _name_after_title_of(tail: list[_Token]) -> list[_Token] | None:
    """The name after a title of the form "<role> of <Word>": "Secretary of State Antony Blinken",
    "Chief of Police Ann Ray", "Kremlin Chief of Staff Anton Vaino". The word after "of" belongs
    to the title; None when the phrase has no such title ("Royal College of Nursing", "Union of
    Concerned Scientists")."""
    for index in range(len(tail) - 3, 0, -1):
        if tail[index].lower == "of" and _is_role_word(tail[index - 1]):
            name = tail[index + 2 :]
            return name if _is_name(name) else None
    return None


def _is_person_titled_by_body(tail: list[_Token]) -> bool:
    """ "Council President Jonas Elm", "Police Chief Ann Ray", "Kessler Terminals Chief Executive
    Dana Whitcombe": a body's name, then role words, then a name. The person speaks; the body
    is part of their title. "Riverside Dockworkers' Union" or "State Ministry of Environment"
    (nothing but the body's own words after its head) is the organisation itself."""
    last_head = max(i for i, t in enumerate(tail) if t.lower in _ORG_HEADS)
    after = tail[last_head + 1 :]
    if after[:1] and after[0].lower == "of":
        after = after[2:]  # "Council of Europe Secretary General ..."
    titles = 0
    while titles < len(after) and _is_role_word(after[titles]):
        titles += 1
    name = after[titles:]
    return titles > 0 and bool(name) and _is_name(name)


# ---------------------------------------------------------------------------------------------
# Noun phrases around cues


def _phrase_before(tokens: list[_Token], index: int) -> _Phrase | None:
    """The speaker phrase ending right before tokens[index] (already past skippable words)."""
    if index <= 0:
        return None
    last = tokens[index - 1]
    if last.lower in _PRONOUNS:
        return _Phrase((last,))
    collected: list[_Token] = []
    position = index - 1
    while position >= 0 and len(collected) < 8:
        token = tokens[position]
        lower = token.lower
        if lower == "of" and collected and position > 0 and (
            _is_capitalised(tokens[position - 1]) and _is_capitalised(collected[0])
        ):
            collected.insert(0, token)
        elif lower == "and" and collected and position > 0 and (
            tokens[position - 1].lower in _NP_LOWER_WORDS and collected[0].lower in _NP_LOWER_WORDS
        ):
            collected.insert(0, token)  # "the force’s founder and leader"
        elif lower in _STOP_WORDS or lower in _PRONOUNS or not token.text[0].isalnum():
            break
        elif lower.endswith("ly") and not _is_capitalised(token):
            break
        elif lower in _CUE_CLASS and lower not in _NOUN_LIKE_CUES and not _is_capitalised(token):
            break
        else:
            collected.insert(0, token)
        position -= 1
    if position >= 1 and tokens[position].lower in ("the", "a", "an") and collected:
        preposition = tokens[position - 1].lower
        if preposition in ("of", "for", "at", "from", "in") and position >= 2:
            owner = tokens[position - 2]
            if _is_capitalised(owner) and not _is_possessive(owner):
                # "Tomas Reyes of the Riverside Dockworkers’ Union": the person speaks.
                return _phrase_before(tokens, position - 1)
            if owner.lower in _GROUP_HEADS or owner.lower in _NP_LOWER_WORDS:
                # "residents of the Lower Quay neighborhood", "lawyers for the company"
                outer = _phrase_before(tokens, position - 1)
                if outer is not None:
                    return _Phrase(outer.tokens + tuple(tokens[position - 1 : index]))
    return _Phrase(tuple(collected)) if collected else None


def _phrase_after(tokens: list[_Token], index: int) -> _Phrase | None:
    """A speaker phrase starting at tokens[index]: "said company spokesperson Lena Haas, ..."."""
    collected: list[_Token] = []
    position = index
    if position < len(tokens) and tokens[position].lower in ("the", "a", "an"):
        position += 1
    if position < len(tokens) and tokens[position].lower in _PRONOUNS:
        return _Phrase((tokens[position],))
    while position < len(tokens) and len(collected) < 8:
        token = tokens[position]
        lower = token.lower
        if _is_capitalised(token) or lower in _NP_LOWER_WORDS or _is_possessive(token) or (
            collected and _is_particle_in_name(tokens, position)
        ):
            collected.append(token)
        elif lower == "of" and collected and position + 1 < len(tokens) and _is_capitalised(
            tokens[position + 1]
        ):
            collected.append(token)
        elif collected and _is_title_dot(tokens, position):
            pass  # "said Dr. Ruth Amsel": the phrase goes on after the title's dot
        else:
            break
        position += 1
    return _Phrase(tuple(collected)) if collected else None


def _is_title_dot(tokens: list[_Token], position: int) -> bool:
    """The "." of a title such as "Dr." or "Gov.", which does not end a speaker phrase."""
    return (tokens[position].text == "." and position > 0
            and tokens[position - 1].lower in _TITLE_ABBREVIATIONS)


def _sentence_subject(tokens: list[_Token]) -> _Phrase | None:
    """The phrase a sentence opens with, after an introductory "In a statement," phrase."""
    position = 0
    if tokens and tokens[0].lower in _ADJUNCT_OPENERS | {"according", "in", "after", "despite",
                                                          "meanwhile", "however", "but"}:
        commas = [i for i, t in enumerate(tokens) if t.text == ","]
        if not commas:
            return None
        position = commas[0] + 1
    return _phrase_after(tokens, position)


# ---------------------------------------------------------------------------------------------
# Quotes


@dataclass(frozen=True)
class _Quote:
    open: int  # offset of the opening mark
    close: int  # offset of the closing mark


def _find_quotes(text: str) -> list[_Quote]:
    """Pairs of double quotation marks; curly marks pair by shape, straight ones alternate."""
    quotes: list[_Quote] = []
    curly_open: int | None = None
    straight_open: int | None = None
    for match in _QUOTE_OR_BREAK.finditer(text):
        index, char = match.start(), match.group()
        if char == _QUOTE_OPEN:
            curly_open = index
        elif char == _QUOTE_CLOSE and curly_open is not None:
            quotes.append(_Quote(curly_open, index))
            curly_open = None
        elif char == '"':
            if straight_open is None:
                straight_open = index
            else:
                quotes.append(_Quote(straight_open, index))
                straight_open = None
        elif char == "\n":
            straight_open = None  # an unclosed straight quote does not run past a paragraph
    return sorted(quotes, key=lambda q: q.open)


def _inside_quote(position: int, quotes: list[_Quote], opens: list[int]) -> bool:
    index = bisect.bisect_right(opens, position) - 1
    return index >= 0 and quotes[index].open < position < quotes[index].close


# ---------------------------------------------------------------------------------------------
# Extraction


@dataclass
class _Found:
    speaker: _Mention
    cue: tuple[int, int]
    content: tuple[int, int]
    quote_type: str
    cue_class: str
    target: _Mention | None = None


@dataclass
class _Context:
    text: str
    sentences: Sequence[Sentence]
    quotes: list[_Quote]
    quote_opens: list[int]
    registry: _Registry = field(default_factory=_Registry)
    used_cues: set[int] = field(default_factory=set)
    attributed_quotes: set[int] = field(default_factory=set)  # opening offsets of quotes with a cue
    all_tokens: list[_Token] = field(default_factory=list)  # the whole text, tokenised once
    token_starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.all_tokens = _tokens(self.text, 0, len(self.text))
        self.token_starts = [token.start for token in self.all_tokens]

    def tokens_between(self, start: int, end: int) -> list[_Token]:
        first = bisect.bisect_left(self.token_starts, start)
        last = bisect.bisect_left(self.token_starts, end, first)
        while last > first and self.all_tokens[last - 1].end > end:
            last -= 1
        return self.all_tokens[first:last]


def extract_statements(
    article_id: str, text: str, sentences: Sequence[Sentence]
) -> tuple[Statement, ...]:
    """Statements (speaker, cue, content, stance) found in `text`, ordered by cue position."""
    sentences = _bounded_sentences(text, sentences)
    quotes = _find_quotes(text)
    context = _Context(text, sentences, quotes, [q.open for q in quotes])
    direct_by_sentence = _direct_quotes_by_sentence(context)
    found: list[_Found] = []
    for index, sentence in enumerate(sentences):
        tokens = context.tokens_between(sentence.start, sentence.end)
        _register_subject(context, tokens)
        _register_names(context, tokens)
        found.extend(_resolve_direct(context, direct_by_sentence.get(index, [])))
        found.extend(_indirect_statements(context, sentence, tokens))
    found.extend(_continuing_quotes(context, found))
    found.sort(key=lambda f: f.cue)  # stable: a continuation stays after the statement it goes on
    return tuple(_to_statement(article_id, i, text, f, _continues_denial(found, i))
                 for i, f in enumerate(found))


# Work per cue grows with the length of its sentence, so one huge "sentence" (junk text without
# full stops) would take quadratic time. Real sentences are far shorter than this; longer ones are
# read in pieces of at most this many characters, cut at a space.
_MAX_SENTENCE_CHARS = 2_500


def _bounded_sentences(text: str, sentences: Sequence[Sentence]) -> list[Sentence]:
    bounded: list[Sentence] = []
    for sentence in sentences:
        for start, end in _pieces(text, sentence.start, sentence.end):
            bounded.append(
                Sentence(sentence.article_id, len(bounded), start, end, text[start:end])
            )
    return bounded


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    while end - start > _MAX_SENTENCE_CHARS:
        limit = start + _MAX_SENTENCE_CHARS
        cut = text.rfind(" ", start + 1, limit)
        cut = limit if cut <= start else cut
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _register_subject(context: _Context, tokens: list[_Token]) -> None:
    """Sentence subjects that are recognisable names become candidates for later pronouns."""
    phrase = _sentence_subject(tokens)
    if phrase is None:
        return
    name_tokens, roles = _split_title(list(phrase.tokens))
    is_known_surname = len(name_tokens) == 1 and context.registry.surname(name_tokens[0].text)
    is_org = phrase.tokens[-1].lower in _ORG_HEADS
    if len(name_tokens) >= 2 or is_known_surname or is_org or (name_tokens and roles):
        _resolve(phrase, context.registry, salient=True)


def _register_names(context: _Context, tokens: list[_Token]) -> None:
    """Named organisations and people anywhere in a sentence, so that later descriptions
    ("the observatory") and surnames ("Okafor") can be resolved. They do not attract pronouns."""
    run: list[_Token] = []
    padded = tokens + [_Token(".", -1, -1)]
    for index, token in enumerate(padded):
        continues = not _is_possessive(token) or (
            index + 1 < len(padded) and _is_capitalised(padded[index + 1]))
        if run and _is_particle_in_name(padded, index):
            run.append(token)  # "Ursula von der Leyen" is one name
            continue
        if _is_capitalised(token) and continues and token.text[0].isalpha():
            if not run and index >= 2 and padded[index - 1].lower == "of" and _is_role_word(padded[index - 2]):
                continue  # "State" in "Secretary of State Blinken" belongs to the title
            run.append(token)
            continue
        if len(run) >= 2 and not _inside_quote(run[0].start, context.quotes, context.quote_opens):
            _register_run(context, run)
        run = []


def _register_run(context: _Context, run: list[_Token]) -> None:
    name_tokens, roles = _split_title(run)
    if not name_tokens:
        return
    registry = context.registry
    words = [t.text for t in name_tokens]
    if name_tokens[-1].lower in _ORG_HEADS:
        registry.organisation(words, "org", roles, name_tokens[0].start, salient=False)
    elif 2 <= sum(_is_capitalised(t) for t in name_tokens) <= 3 and not any(t.lower in _ORG_HEADS for t in name_tokens):
        registry.person(" ".join(words), roles, name_tokens[0].start, salient=False)


# --- direct quotes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _DirectCandidate:
    quote: _Quote
    speaker: _Phrase | None  # None: the clause subject speaks ("..., saying, “...”")
    cue: _Token
    subject_tokens: tuple[_Token, ...] = ()


def _direct_quotes_by_sentence(context: _Context) -> dict[int, list[_DirectCandidate]]:
    """Attributed quotes, keyed by the index of the sentence holding their attribution."""
    starts = [s.start for s in context.sentences]
    by_sentence: dict[int, list[_DirectCandidate]] = {}
    for quote in context.quotes:
        inner = context.text[quote.open + 1 : quote.close]
        if len(inner.split()) < 2:
            continue  # a scare-quoted word: “massive”
        candidate, sentence_index = _attribution_after(context, quote, starts)
        if candidate is None:
            candidate, sentence_index = _attribution_before(context, quote, starts)
        if candidate is not None:
            context.used_cues.add(candidate.cue.start)
            context.attributed_quotes.add(quote.open)
            by_sentence.setdefault(sentence_index, []).append(candidate)
    return by_sentence


def _is_speech_verb(token: _Token) -> bool:
    """A cue verb or "according", not a noun like "state" in "said state official Ana Ruiz"."""
    if token.lower == "according":
        return True
    return token.lower in _CUE_CLASS and token.lower not in _NOUN_LIKE_CUES and not _is_capitalised(token)


def _sentence_index(starts: list[int], position: int) -> int:
    return max(bisect.bisect_right(starts, position) - 1, 0)


def _attribution_after(context: _Context, quote: _Quote, starts: list[int]):
    """`“...,” X said` / `“...,” said X` / `“...?” commission chair Mia Torres asked`."""
    if not context.sentences:
        return None, 0
    index = _sentence_index(starts, quote.close)
    sentence = context.sentences[index]
    if quote.close + 1 > sentence.end:
        return None, index
    before_close = context.text[quote.close - 1]
    if before_close not in ",?!." and not context.text.startswith(",", quote.close + 1):
        return None, index
    tokens = context.tokens_between(quote.close + 1, sentence.end)
    if tokens and tokens[0].text == ",":
        tokens = tokens[1:]
    for position, token in enumerate(tokens[:8]):
        if _is_title_dot(tokens, position):
            continue  # `“...,” Dr. Ruth Amsel said`
        if not token.text[0].isalnum() and token.text != "’":
            return None, index
        if token.lower in _CUE_CLASS and not _is_capitalised(token):
            if position == 0:
                speaker = _phrase_after(tokens, 1)
            else:
                speaker = _trim_skippable([t for t in tokens[:position] if t.text != "."])
            if speaker is None:
                return None, index
            return _DirectCandidate(quote, speaker, token), index
    return None, index


def _trim_skippable(tokens: list[_Token]) -> _Phrase | None:
    while tokens and tokens[-1].lower in _SKIPPABLE_BEFORE_CUE:
        tokens = tokens[:-1]
    while tokens and tokens[0].lower in ("the", "a", "an"):
        tokens = tokens[1:]
    if not tokens or any(t.lower in _STOP_WORDS - {"of"} and t.lower not in _PRONOUNS
                         for t in tokens):
        return None
    return _Phrase(tuple(tokens))


def _attribution_before(context: _Context, quote: _Quote, starts: list[int]):
    """`X said: “...”`, `X told reporters, “...”`, `..., saying, “...”`."""
    index = _sentence_index(starts, quote.open)
    sentence = context.sentences[index]
    tokens = context.tokens_between(sentence.start, quote.open)
    while tokens and tokens[-1].text in ",:":
        tokens = tokens[:-1]
    if not tokens:
        return None, index
    cue_position = len(tokens) - 1
    if tokens[-1].lower not in _CUE_CLASS and len(tokens) >= 2 and (
        tokens[-2].lower in _TELL_CUES
    ):
        cue_position = len(tokens) - 2  # "told reporters: “...”"
    cue = tokens[cue_position]
    if cue.lower not in _CUE_CLASS or _is_capitalised(cue):
        return None, index
    inner = context.text[quote.open + 1 : quote.close].lstrip()
    if len(inner.split()) < 3:
        return None, index
    between = context.text[tokens[-1].end : quote.open]
    if "," not in between and ":" not in between and not inner[:1].isupper():
        return None, index  # `reported "a few hundred liters"`: a quoted phrase, mixed speech
    if cue.lower.endswith("ing") and cue_position > 0 and tokens[cue_position - 1].text == ",":
        return _DirectCandidate(quote, None, cue, tuple(tokens)), index
    speaker = _speaker_before(tokens, cue_position)
    if speaker is None:
        return None, index
    return _DirectCandidate(quote, speaker, cue, tuple(tokens)), index


def _resolve_direct(context: _Context, candidates: list[_DirectCandidate]) -> list[_Found]:
    found: list[_Found] = []
    for candidate in candidates:
        if candidate.speaker is None:
            phrase = _sentence_subject(list(candidate.subject_tokens))
        else:
            phrase = candidate.speaker
        if phrase is None:
            continue
        mention = _resolve(phrase, context.registry)
        if mention is None:
            continue
        cue = (candidate.cue.start, candidate.cue.end)
        cue_class = _CUE_CLASS[candidate.cue.lower]
        content = _trim_quote(context.text, candidate.quote.open + 1, candidate.quote.close)
        found.append(_Found(mention, cue, content, "direct", cue_class))
    return found


# --- quotes that go on with the sentence before them ----------------------------------------


def _continuing_quotes(context: _Context, found: list[_Found]) -> list[_Found]:
    """Quotes with no attribution of their own that go on with what the sentence right before
    them reported: `“A,” X said. “B.”`, `X said: “A.” “B.”`, `X said Y. “B.”`, and a run of such
    quotes (`“B.” “C.”`: one statement each, as each is one quote). Each is a statement by
    the same speaker with the same speaker and cue spans.

    Only when that sentence reports one speaker alone and ends with what they said, and the
    quote opens the next sentence of the same paragraph and is whole sentences of speech. A quote
    in a new paragraph, after a sentence with two speakers, or with an attribution of its own
    is someone else's (or not clearly this one's), and is left alone."""
    starts = [s.start for s in context.sentences]
    claimed = _quotes_inside(context, found)
    by_sentence: dict[int, list[_Found]] = {}
    for statement in found:
        _file_by_sentence(by_sentence, starts, statement)
    added: list[_Found] = []
    for quote in context.quotes:
        if quote.open in context.attributed_quotes or quote.open in claimed:
            continue  # its own attribution, or quoted words inside reported speech
        if not _is_whole_sentences_of_speech(context, quote, starts):
            continue
        previous = _sentence_index(starts, quote.open) - 1
        if previous < 0 or not _is_same_paragraph_gap(context.text[context.sentences[previous].end
                                                                    : quote.open]):
            continue
        source = _sole_speakers_last_statement(context, context.sentences[previous],
                                               by_sentence.get(previous, []))
        if source is None:
            continue
        content = _trim_quote(context.text, quote.open + 1, quote.close)
        # "“Why now?” she asked. “Nobody told us.”": what follows a question need not be one;
        # its own words decide, as for "said". Other verbs (denied, warned) cover it too.
        cue_class = "assert" if source.cue_class == "question" else source.cue_class
        continuation = _Found(source.speaker, source.cue, content, "direct", cue_class)
        added.append(continuation)
        _file_by_sentence(by_sentence, starts, continuation)  # a further quote may go on with it
    return added


def _quotes_inside(context: _Context, found: list[_Found]) -> set[int]:
    """Opening offsets of the quotes that overlap a statement's content."""
    inside: set[int] = set()
    for statement in found:
        start, end = statement.content
        number = max(bisect.bisect_right(context.quote_opens, start) - 1, 0)
        while number < len(context.quotes) and context.quotes[number].open < end:
            if context.quotes[number].close > start:
                inside.add(context.quotes[number].open)
            number += 1
    return inside


def _file_by_sentence(by_sentence: dict[int, list[_Found]], starts: list[int], statement: _Found) -> None:
    """Note a statement under every sentence its cue or content touches."""
    touched: set[int] = set()
    for start, end in (statement.cue, statement.content):
        last = _sentence_index(starts, max(start, end - 1))
        touched.update(range(_sentence_index(starts, start), last + 1))
    for index in touched:
        by_sentence.setdefault(index, []).append(statement)


def _is_whole_sentences_of_speech(context: _Context, quote: _Quote, starts: list[int]) -> bool:
    """The quote opens a sentence and closes one, ending with ".", "?" or "!": not a quoted
    phrase, and nothing such as `“...?” the woman asked` follows it in its sentence."""
    inner = context.text[quote.open + 1 : quote.close].rstrip()
    if len(inner.split()) < 2 or not inner.rstrip("’'").endswith((".", "?", "!", "…")):
        return False
    first = context.sentences[_sentence_index(starts, quote.open)]
    last = context.sentences[_sentence_index(starts, quote.close)]
    return first.start == quote.open and last.end == quote.close + 1


def _is_same_paragraph_gap(gap: str) -> bool:
    return not gap.strip() and "\n" not in gap


def _sole_speakers_last_statement(context: _Context, sentence: Sentence,
                                  inside: list[_Found]) -> _Found | None:
    """The statement a sentence ends with, when every statement in it (`inside`) is by one
    speaker and nothing after the statement could be someone else's speech or clause."""
    if not inside:
        return None
    speakers = {f.speaker.entity.canonical() for f in inside}
    if len(speakers) > 1:
        return None
    last = max(inside, key=lambda f: max(f.cue[1], f.content[1], f.speaker.end))
    if context.text[last.cue[0] : last.cue[1]].lower().startswith("according"):
        return None  # "according to" cites a source; what follows is the writer's again
    after = max(last.cue[1], last.content[1], last.speaker.end)
    rest = context.tokens_between(after, sentence.end)
    if any(_is_speech_verb(token) for token in rest):
        return None  # `“A,” X said, as Y denied it.`: whose words follow is not clear
    if last.quote_type != "direct" and _may_hand_over(context, last, rest):
        return None
    return last


def _may_hand_over(context: _Context, statement: _Found, rest: list[_Token]) -> bool:
    """Whether after reported speech someone else may be the one a following quote goes on:
    a new clause after it (`X said Y, but the ministry disagreed.`, `X said Y; Z did not.`)
    or speech reported inside it (`X said Falk had warned him.`)."""
    if any(t.lower in _NEW_CLAUSE_WORDS or t.text in _CLAUSE_PUNCTUATION for t in rest):
        return True
    reported = context.tokens_between(*statement.content)
    return any(_is_speech_verb(t) for t in reported)


# Words and marks that open a clause after reported speech, with a subject of its own.
_NEW_CLAUSE_WORDS = frozenset("and but or while whereas although though as because since when "
                              "after before which who whom whose where if unless".split())
_CLAUSE_PUNCTUATION = frozenset(";:()—–")


# --- indirect speech -------------------------------------------------------------------------


def _indirect_statements(context: _Context, sentence: Sentence, tokens: list[_Token]) -> list[_Found]:
    found: list[_Found] = []
    previous: _Found | None = None
    for index, token in enumerate(tokens):
        if token.lower not in _CUE_CLASS and token.lower != "according":
            continue
        if token.start in context.used_cues or _inside_quote(token.start, context.quotes,
                                                             context.quote_opens):
            continue
        if any(f.content[0] <= token.start < f.content[1] for f in found):
            continue  # reported speech inside reported content is part of that content
        if token.lower == "according" and index + 1 < len(tokens) and tokens[index + 1].lower == "to":
            statement = _according_to(context, sentence, tokens, index)
        elif token.lower in _CUE_CLASS and not _is_capitalised(token):
            statement = _cue_statement(context, sentence, tokens, index, previous)
        else:
            continue
        if statement is not None:
            context.used_cues.add(token.start)
            found.append(statement)
            previous = statement
    return found


def _according_to(context: _Context, sentence: Sentence, tokens: list[_Token], index: int):
    """`According to X, Y.` and `Y, according to X.`"""
    cue = (tokens[index].start, tokens[index + 1].end)
    phrase = _phrase_after(tokens, index + 2)
    if phrase is None:
        return None
    mention = _resolve(phrase, context.registry)
    if index == 0 or (index > 0 and tokens[index - 1].text != ","):
        after = phrase.end
        rest = context.text[after : sentence.end]
        if not rest.lstrip().startswith(","):
            return None
        start = after + rest.index(",") + 1
        content = _clause(context, sentence, start)
    else:
        content = _trim_span(context.text, _after_dateline(context.text, sentence),
                             tokens[index - 1].start)
    if content is None or content[1] <= content[0]:
        return None
    return _Found(mention, cue, content, _quote_type(context.text, content), "assert")


def _cue_statement(context: _Context, sentence: Sentence, tokens: list[_Token], index: int,
                   previous: _Found | None) -> _Found | None:
    cue = tokens[index]
    before = tokens[index - 1].lower if index > 0 else ""
    if before in _DETERMINERS or before in _BE_FORMS or before in _NEGATIONS or before == "to":
        return None  # "the claims", "was accused", "did not say", "declined to say"
    if before in _MODALS or (index > 0 and _is_possessive(tokens[index - 1])):
        return None  # "would report within ninety days", "the union's claim"
    if before in ("did", "does", "do") and index > 1 and tokens[index - 2].lower in _NEGATIONS:
        return None
    cue_class = _CUE_CLASS[cue.lower]
    after = tokens[index + 1].lower if index + 1 < len(tokens) else ""
    if cue_class == "question" and after in ("for", "to", "him", "her", "them", "us"):
        return None  # "asked for a report", "asked them to leave": requests, not questions
    postposed = _postposed(context, sentence, tokens, index)
    if postposed is not None:
        return postposed
    if cue.lower in _QUOTE_ONLY_CUES:
        return None
    if cue.lower in _THAT_ONLY_CUES and after != "that":
        return None
    speaker = _speaker_for_cue(tokens, index, previous)
    if speaker is None:
        return None
    target_phrase, content_start = _content_start(context, tokens, index)
    if content_start is None:
        claimed = _claim_antecedent(tokens, index, previous)
        if claimed is None:
            return None
        mention = _resolve(speaker, context.registry) if isinstance(speaker, _Phrase) else None
        if mention is None:
            return None
        return _Found(mention, (cue.start, cue.end), claimed.content, claimed.quote_type, cue_class)
    right_after_cue = content_start == tokens[index + 1].start
    content = _clause(context, sentence, content_start, object_only=right_after_cue and
                      _is_object_content(context.text, cue.lower, content_start))
    if content is None:
        return None
    if isinstance(speaker, _Found):
        mention = speaker.speaker
    else:
        mention = _resolve(speaker, context.registry)
    if mention is None:
        return None
    target = _resolve(target_phrase, context.registry, salient=False) if target_phrase else None
    return _Found(mention, (cue.start, cue.end), content, _quote_type(context.text, content),
                  cue_class, target)


def _claim_antecedent(tokens: list[_Token], index: int, previous: _Found | None) -> _Found | None:
    """`X said Y, a claim the company denied`: the denied content is the previous statement's."""
    if previous is None or index < 3:
        return None
    window = [t.lower for t in tokens[max(0, index - 6) : index]]
    if any(w in ("claim", "allegation", "accusation", "charge", "assertion") for w in window):
        return previous
    return None


def _speaker_for_cue(tokens: list[_Token], index: int, previous: _Found | None):
    """The speaker phrase of a preposed cue (or the previous statement for coordinated cues)."""
    position = index
    while position > 0 and tokens[position - 1].lower in _SKIPPABLE_BEFORE_CUE:
        position -= 1
    if position > 0 and tokens[position - 1].lower in ("and", "but"):
        # "... promises revenge and threatens ...", "... took issue with ... and said ...":
        # the subject of the first verb speaks.
        if previous is not None:
            return previous
        return _sentence_subject(tokens)
    if position > 0 and tokens[position - 1].text == ",":
        if tokens[index].lower.endswith("ing"):
            return previous if previous is not None else _sentence_subject(tokens)
        return _parenthetical_speaker(tokens, position - 1)
    return _speaker_before(tokens, position)


def _speaker_before(tokens: list[_Token], position: int) -> _Phrase | None:
    while position > 0 and tokens[position - 1].lower in _SKIPPABLE_BEFORE_CUE:
        position -= 1
    if position > 0 and tokens[position - 1].text == ",":
        return _parenthetical_speaker(tokens, position - 1)
    phrase = _phrase_before(tokens, position)
    if phrase is None:
        return None
    return phrase


def _parenthetical_speaker(tokens: list[_Token], comma: int) -> _Phrase | None:
    """`Okafor’s agent, Paula Stein, said` -> Paula Stein; `X, speaking ..., said` -> X."""
    opening = comma - 1
    while opening >= 0 and tokens[opening].text != ",":
        opening -= 1
    if opening < 0:
        return None
    inside = tokens[opening + 1 : comma]
    if inside and all(_is_capitalised(t) or t.lower == "of" for t in inside):
        return _Phrase(tuple(inside))  # an apposition naming the speaker
    if inside and inside[0].lower in ("who", "which") or (inside and not _is_capitalised(inside[0])):
        return _phrase_before(tokens, opening)
    return None


def _postposed(context: _Context, sentence: Sentence, tokens: list[_Token], index: int):
    """`Y, X said (on Monday).` / `Y, said X.` / `Y, X claimed, without providing evidence.`"""
    cue = tokens[index]
    rest = tokens[index + 1 :]
    speaker: _Phrase | None = None
    comma: int | None = None
    if index > 0 and tokens[index - 1].text == ",":
        comma = index - 1
        speaker = _phrase_after(tokens, index + 1)
        if speaker is None:
            return None
        rest = [t for t in tokens if t.start >= speaker.end]
    else:
        position = index
        while position > 0 and tokens[position - 1].lower in _SKIPPABLE_BEFORE_CUE:
            position -= 1
        phrase = _phrase_before(tokens, position)
        if phrase is None:
            return None
        start = tokens.index(phrase.tokens[0])
        if phrase.tokens[0].lower in _PRONOUNS or start == 0:
            head = start
        else:
            head = start
            if tokens[start - 1].lower in ("the", "a", "an"):
                head -= 1
        if head == 0 or tokens[head - 1].text != ",":
            return None
        comma = head - 1
        speaker = phrase
    if not _only_adjuncts(rest, cue.lower):
        return None
    if comma < 3:
        return None
    content = _trim_span(context.text, _after_dateline(context.text, sentence), tokens[comma].start)
    if _sentence_continues(rest):
        # "The old depot, he said, sits upstream ...": the attribution interrupts the content,
        # which is then the whole sentence (one span cannot leave the middle out).
        content = _trim_span(context.text, sentence.start, sentence.end)
    first_char = context.text[content[0]] if content[1] > content[0] else ""
    if first_char in _ANY_QUOTE and context.text[content[1] - 1] in _ANY_QUOTE:
        return None  # a direct quote: handled with the quotes
    mention = _resolve(speaker, context.registry)
    if mention is None:
        return None
    return _Found(mention, (cue.start, cue.end), content, _quote_type(context.text, content),
                  _CUE_CLASS[cue.lower])


_DATELINE = re.compile(r"[A-Z][A-Z .'’-]+(?:,[^—–\n]{0,30})?(?:\s*\([^)\n]{1,40}\))?\s+[—–]\s+")


def _after_dateline(text: str, sentence: Sentence) -> int:
    """Where a sentence starts after a wire dateline such as "MARLOW BEND (Riverline Wire) — "."""
    match = _DATELINE.match(text, sentence.start, sentence.end)
    return match.end() if match else sentence.start


def _sentence_continues(rest: list[_Token]) -> bool:
    """After `, he said,` the reported clause goes on (not a participle or a new clause)."""
    commas = [i for i, t in enumerate(rest) if t.text == ","]
    if not commas:
        return False
    following = [t for t in rest[commas[0] + 1 :] if t.text[0].isalnum()]
    if len(following) < 2:
        return False
    first = following[0].lower
    return not (first.endswith("ing") or first in _STOP_WORDS or first in (
        "without", "according", "who", "which", "citing"))


def _only_adjuncts(rest: list[_Token], cue: str) -> bool:
    """After a postposed cue: nothing, or adjuncts ("on Wednesday", "reporters in Geneva")."""
    # Only up to the first comma: "said on Wednesday, contradicting ..." is a new clause.
    commas = [i for i, t in enumerate(rest) if t.text == ","]
    if commas:
        rest = rest[: commas[0]]
    words = [t for t in rest if t.text not in ".,!?"]
    if not words:
        return True
    if any(t.lower == "that" for t in words):
        return False
    first = words[0].lower
    if cue in _TELL_CUES and len(words) <= 6:
        return True
    return first in _ADJUNCT_OPENERS | {"without", "citing", "adding", "according"} and len(words) <= 10


def _content_start(context: _Context, tokens: list[_Token], index: int):
    """Where the reported content starts after the cue; with the target for accusations."""
    cue = tokens[index].lower
    after = tokens[index + 1 :]
    if not after or after[0].text in ".!?":
        return None, None
    words = [t.lower for t in after]
    if words[0] in ("this", "it", "them") and (len(after) == 1 or after[1].text in ".!?"):
        return None, after[0].start  # "Nowak dismissed it."
    if cue in _ACCUSE_PREPOSITION:
        preposition = _ACCUSE_PREPOSITION[cue]
        if preposition in words[:10]:
            cut = words.index(preposition)
            target_tokens = [t for t in after[:cut] if t.lower not in ("the", "a", "an")]
            target = _Phrase(tuple(target_tokens)) if target_tokens else None
            if cut + 1 < len(after):
                return target, after[cut + 1].start
            return None, None
        target_tokens = [t for t in after[:6] if t.text[0].isalnum() and t.lower not in ("the", "a", "an")]
        return (_Phrase(tuple(target_tokens[:1])) if target_tokens else None), after[0].start
    if words[0] == "that" and _is_demonstrative(words):
        return None, after[0].start  # "rejected that explanation"
    if "that" in words[:10] and "," not in words[: words.index("that")]:
        cut = words.index("that")
        between = words[:cut]
        recipient = cut <= 4 and "," not in between and all(
            t.text[0].isupper() or t.lower in ("the", "a", "an", "his", "her", "its", "their")
            or t.lower in _GROUP_HEADS for t in after[:cut])
        if not between or between[0] in _ADJUNCT_OPENERS or cue in _TELL_CUES or recipient or (
            between[0] in ("reporters", "journalists", "lawmakers", "parliament")
        ):
            if cut + 1 < len(after):
                return None, after[cut + 1].start
    if cue in _TO_CUES and words[0] == "to" and len(after) > 1:
        return None, after[1].start
    if cue in _TO_CUES or cue in _TELL_CUES:
        # "warned residents along the river not to draw water": content from "not to".
        for position, word in enumerate(words[:16]):
            if word in (",", ".", "that"):
                break
            if word == "not" and position + 1 < len(words) and words[position + 1] == "to":
                return None, after[position].start
    if cue in _TELL_CUES and len(after) > 1:
        skip = 2 if words[0] in ("the", "a") else 1
        return None, after[min(skip, len(after) - 1)].start
    if words[0] in _ADJUNCT_OPENERS:
        return None, None  # "said on Wednesday." with nothing reported after it
    return None, after[0].start


def _is_demonstrative(words: list[str]) -> bool:
    """ "that explanation." / "that." (a pronoun or determiner) rather than "that <clause>"."""
    rest = words[1:]
    if not rest or rest[0] in ".!?":
        return True
    return len(rest) >= 2 and rest[1] in (".", "!", "?", ",")


def _is_object_content(text: str, cue: str, start: int) -> bool:
    """Deny/confirm/promise-type cues report a noun phrase object ("rejected the claim")."""
    if cue not in _OBJECT_CUES and cue not in _TO_CUES:
        return False
    first_word = text[start : start + 20].split(maxsplit=1)
    if not first_word:
        return False
    word = first_word[0].lower()
    return not (word.endswith("ing") or word in ("whether", "if", "how", "why", "what"))


def _clause(context: _Context, sentence: Sentence, start: int, object_only: bool = False):
    """The reported clause from `start` to its end inside the sentence (trimmed)."""
    end = sentence.end
    text = context.text
    for match in _CLAUSE_BREAK.finditer(text, start, sentence.end):
        if not _inside_quote(match.start(), context.quotes, context.quote_opens):
            end = match.start()
            break
    if object_only:
        for match in _OBJECT_END.finditer(text, start, end):
            if not _inside_quote(match.start(), context.quotes, context.quote_opens):
                end = match.start()
                break
    end = _before_postposed_attribution(context, start, end)
    span = _trim_span(text, start, end)
    if span[1] <= span[0]:
        return None
    return _strip_trailing_time(text, span)


_OBJECT_END = re.compile(r"\s(?:in|on|at|as|during|after|before|since|until|and)\s")
_COMMA = re.compile(r",\s")


def _before_postposed_attribution(context: _Context, start: int, end: int) -> int:
    """Stop before `, Kyiv Post reported` when the content runs into a postposed attribution."""
    text = context.text
    for match in _COMMA.finditer(text, start, end):
        if end - match.end() > 90:
            continue  # a postposed attribution is a few words long
        tail = context.tokens_between(match.end(), end)
        words = [t for t in tail if t.text[0].isalnum()]
        if 1 <= len(words) <= 7 and any(t.lower in _CUE_CLASS for t in words[1:]) and all(
            t.lower not in ("that",) for t in words
        ) and _is_capitalised(words[0]):
            return match.start()
    return end


def _trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
        end -= 1
    if end > start and text[end - 1] == "." and not _ABBREVIATION_END.search(text, start, end):
        end -= 1  # a sentence-final dot outside quotes is not part of the content
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _trim_quote(text: str, start: int, end: int) -> tuple[int, int]:
    """The inside of a quote, without white space or a trailing comma (a final "." stays)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return start, end


def _strip_trailing_time(text: str, span: tuple[int, int]) -> tuple[int, int]:
    match = _TRAILING_TIME.search(text, span[0], span[1])
    if match and match.start() > span[0]:
        return span[0], match.start()
    return span


def _quote_type(text: str, span: tuple[int, int]) -> str:
    return "mixed" if any(mark in text[span[0] : span[1]] for mark in _ANY_QUOTE) else "indirect"


def _stance(cue_class: str, content: str, quote_type: str, continues_denial: bool = False) -> str:
    """The cue verb decides, except for neutral verbs, where the content can show a denial.

    `continues_denial`: the same speaker's statement just before was a denial ("Nowak dismissed
    that. “Fish do not suffocate in that,” he said."), so a negation here carries it on."""
    if cue_class not in ("assert",):
        return cue_class
    if _denies(content, continues_denial):
        return "deny"
    if _ACCUSE_CONTENT.search(content):
        return "accuse"
    if _WARNING_CONTENT.search(content):
        return "warn"
    if quote_type == "direct" and content.rstrip("”\"’' ").endswith("?"):
        return "question"
    if _COMMITMENT.search(content):
        return "promise"
    return "assert"


def _denies(content: str, continues_denial: bool) -> bool:
    if _DENY_CONTENT.search(content):
        return True
    if any(_is_self_denial(m) for m in _FIRST_PERSON_NEGATION.finditer(content)):
        return True
    reported = _REPORTED_SELF_NEGATION.match(content.strip())
    if reported is not None and _is_self_denial(reported):
        return True
    return continues_denial and bool(_ANY_NEGATION.search(content))


def _is_self_denial(negation: re.Match[str]) -> bool:
    """ "we have never withheld", "he did not know"; not "we will not", "I have never seen"."""
    between, after = negation.group(1), negation.group(2)
    if any(word in _FUTURE_OR_ABILITY for word in between.lower().split()):
        return False
    return not _NOT_A_DENIAL.match(after)


def _continues_denial(found: Sequence[_Found], index: int) -> bool:
    """Whether the statement before found[index] is the same speaker's denial by its cue verb."""
    if index == 0:
        return False
    before, current = found[index - 1], found[index]
    same_speaker = before.speaker.entity.canonical() is current.speaker.entity.canonical()
    return same_speaker and before.cue_class == "deny"


# "Hale reportedly said": the hedge stays in the cue, where a reader sees that the outlet did not
# hear the statement itself.
_HEDGE_BEFORE_CUE = re.compile(
    r"\b(?:reportedly|allegedly|purportedly|apparently|supposedly)\s+$", re.IGNORECASE)
_HEDGE_REACH = 20  # characters before the cue searched for the hedge: its word and a space


def _cue_with_hedge(text: str, cue: tuple[int, int]) -> tuple[int, int]:
    hedge = _HEDGE_BEFORE_CUE.search(text, max(0, cue[0] - _HEDGE_REACH), cue[0])
    return (hedge.start(), cue[1]) if hedge else cue


def _to_statement(article_id: str, index: int, text: str, found: _Found,
                  continues_denial: bool = False) -> Statement:
    speaker_span = (found.speaker.start, found.speaker.end)
    cue_span = _cue_with_hedge(text, found.cue)
    content = text[found.content[0] : found.content[1]]
    return Statement(
        article_id=article_id,
        index=index,
        speaker=found.speaker.entity.canonical().name.replace("’", "'"),
        speaker_mention=text[speaker_span[0] : speaker_span[1]],
        speaker_span=speaker_span,
        cue=text[cue_span[0] : cue_span[1]],
        cue_span=cue_span,
        content=content,
        content_span=found.content,
        quote_type=found.quote_type,  # type: ignore[arg-type]
        stance=_stance(found.cue_class, content, found.quote_type, continues_denial),
        target=found.target.entity.canonical().name.replace("’", "'") if found.target else None,
    )
