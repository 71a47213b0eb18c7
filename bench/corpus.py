"""A generator of news-like articles for benchmarks: deterministic by seed, no copied text.

What makes it news-like (what the benchmarks depend on):
- sentences of 8 to 35 words (mostly around 20), grouped in paragraphs of one to three sentences;
- a cast per story: named people with roles at named institutions, quoted directly and
  indirectly with said / denied / accused / promised / declined to comment;
- stories covered by several outlets on nearby dates, each writing its own article (and a few
  wire copies, which the ingest detects as near-duplicates);
- a large vocabulary of generated proper nouns (people, places, companies), so BM25 posting lists
  are not unrealistically dense.

Article `i` is generated from its own seeded random stream, so any article can be made without
the ones before it (the scale benchmark generates hundreds of thousands, in any order).

    python -m bench.corpus OUT_DIR --n 2000 --seed 7 --format jsonl
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from assistant.records import RawArticle

log = logging.getLogger(__name__)

ARTICLES_PER_STORY = 3  # on average three outlets cover each story
MIN_WORDS, MAX_WORDS = 8, 35

# ------------------------------------------------------------------------------------ lexicon

FIRST_NAMES = """
Amara Bilal Camille Dario Elena Farid Greta Hana Imre Jonas Keiko Leila Mateo Nadia Oskar Priya
Quentin Rosa Sami Tamsin Ugo Vera Wendell Ximena Yusuf Zofia Anders Beatriz Cormac Delphine Emeka
Fiona Gideon Helga Ishaan Jolene Kwame Lorna Magnus Noor Odile Pavel Rania Stellan Thandiwe Ulla
Viktor Wren Yara Zeno Agnes Bruno Clara Desmond Esther Felix Gloria Hector Iris Jasper Kira Lionel
""".split()
SURNAME_HEADS = """
Abel Bar Cal Dun Eck Fal Gar Hal Ing Jar Kell Lar Mar Nor Ost Pell Quin Rad Sal Tor Ul Val Wes Yor
Zel Ash Brom Cor Dal Fen Gal Hart Kes Lind Mor Pen Rook Stam Thorn Wick
""".split()
SURNAME_TAILS = "ford sby ton wick mere dale ow ani ek ova ard ley en is ovic quist berg ez ino stone".split()
PLACE_HEADS = """
Marl Ash Bright Cold Elm Fair Glen Hart Iron Kings Lark Mill North Oak Pem Red Stan Thorn West Wil
Amber Birch Crane Dover Fern Gull Heron Juniper Kestrel Lynn
""".split()
PLACE_TAILS = "ford bridge haven field wick ton mouth bury dale port stead well crest moor".split()
DISTRICTS = "Lower Quay|Castor Bridge|Old Market|Riverside|Eastgate|Harborside|Saint Anselm|Hillcrest|Millbrook|Canal Row".split("|")
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = "January February March April May June July August September October November December".split()

OUTLETS = [
    ("Eastgate Courier", "eastgatecourier"),
    ("Meridian Post", "meridianpost"),
    ("Lakeshore Tribune", "lakeshoretribune"),
    ("Copperfield Herald", "copperfieldherald"),
    ("Summit Wire", "summitwire"),
    ("Bayview Chronicle", "bayviewchronicle"),
    ("Prairie Signal", "prairiesignal"),
    ("Granite Times", "granitetimes"),
    ("Tidewater Review", "tidewaterreview"),
    ("Pinecrest Gazette", "pinecrestgazette"),
    ("Northfield Public Radio", "northfieldradio"),
    ("Cobalt Business Daily", "cobaltbusiness"),
]

# Each topic: institutions (patterns), roles, the things it is about, what happens, what people
# claim (for "said that ..." / "denied that ..."), what they are accused of, what they promise,
# direct quotes, background facts and headline patterns. {P} place, {S} surname, {D} district.
TOPICS: dict[str, dict[str, list[str]]] = {
    "water": {
        "institutions": ["{P} Water Authority", "{S} Chemicals", "the State Environmental Agency", "{P} City Council"],
        "roles": ["director", "chief executive", "spokesperson", "chief engineer", "council member"],
        "things": ["the treatment plant", "the boil-water notice", "lead levels in tap water", "the reservoir intake", "the chlorine dosing system", "the sampling results", "the discharge permit", "the storm drains"],
        "events": ["shut down the treatment plant", "issued a boil-water notice for {D}", "found elevated lead levels in {N} homes", "closed the reservoir intake", "began flushing the mains in {D}", "ordered new tests at {N} sites"],
        "claims": ["the contamination had been contained", "residents were never at risk", "the utility had ignored warnings about {T}", "the plant had been understaffed for months", "the samples were taken too late", "the permit allowed the discharge"],
        "accusations": ["hiding the test results", "delaying the warning to residents", "cutting the maintenance budget", "misreporting the lead readings"],
        "promises": ["publish every test result", "replace the old pipes in {D}", "pay for bottled water until the notice is lifted", "commission an independent review"],
        "quotes": ["Nobody should drink the water until we say it is safe", "We followed every step of the emergency plan", "Families in {D} deserve answers, not press releases", "The numbers we saw on {W} were not acceptable", "This was a failure of maintenance, plain and simple"],
        "facts": ["The plant serves about {N},000 people in {P} and the surrounding villages", "The boil-water notice covers {N} streets", "Tests in {M} showed lead at {N} parts per billion", "The utility last replaced the filters in {Y}"],
        "titles": ["Boil-water notice in {P} after plant failure", "{P} residents demand answers over tap water", "Regulator orders new tests at {P} treatment plant", "{I} denies hiding water test results"],
    },
    "transit": {
        "institutions": ["{P} Transit Agency", "the Rail Workers Union", "{S} Rail Services", "the Ministry of Transport"],
        "roles": ["general secretary", "chief operating officer", "spokesperson", "transport minister", "union negotiator"],
        "things": ["the night bus network", "the new timetable", "the signalling upgrade", "the fare increase", "the depot in {D}", "the pay offer", "the overtime rules"],
        "events": ["cancelled {N} bus routes", "called a {N}-day strike", "suspended talks with the union", "delayed the signalling upgrade", "raised fares by {N} percent", "closed the depot in {D}"],
        "claims": ["the pay offer was final", "drivers had been working unsafe shifts", "the strike would cost the city millions", "the timetable was drawn up without consulting staff", "passenger numbers had recovered"],
        "accusations": ["breaking the collective agreement", "putting passengers at risk", "inflating the cost of the upgrade", "refusing to negotiate in good faith"],
        "promises": ["restore the night buses by {M}", "freeze fares for a year", "hire {N} new drivers", "reopen talks on {W}"],
        "quotes": ["Our members have been patient for two years", "We cannot run a railway on goodwill alone", "The offer on the table is fair and affordable", "Passengers are the ones paying for this dispute", "Nobody wants a strike, but we were left with no choice"],
        "facts": ["The network carries about {N},000 passengers on a weekday", "Drivers last received a pay rise in {Y}", "The upgrade was budgeted at {N} million dollars", "About {N} percent of services ran on time in {M}"],
        "titles": ["Transit strike halts buses across {P}", "Union rejects pay offer as talks collapse", "{I} accused of breaking agreement", "{P} commuters face {N} days of disruption"],
    },
    "budget": {
        "institutions": ["{P} City Council", "the Finance Ministry", "the Office of the Auditor", "the Taxpayers Alliance"],
        "roles": ["finance chair", "mayor", "auditor", "finance minister", "budget director"],
        "things": ["the draft budget", "the property tax increase", "the reserve fund", "the spending cuts", "the pension shortfall", "the library closures", "the road repair program"],
        "events": ["approved a budget of {N} million dollars", "voted to raise property taxes by {N} percent", "cut funding for {N} libraries", "drew down the reserve fund", "postponed the road repair program"],
        "claims": ["the deficit had been hidden for years", "the cuts would not affect front-line services", "the tax increase was the only option", "the auditor's figures were out of date", "the pension fund was sound"],
        "accusations": ["misleading residents about the deficit", "moving money out of the reserve fund without a vote", "favoring wealthy districts", "ignoring the auditor's warnings"],
        "promises": ["publish the full spending figures", "keep every library open", "cut the deficit within {N} years", "hold public hearings in every district"],
        "quotes": ["Every dollar in this budget has been argued over", "We are asking families to pay more for less", "The books did not balance and everyone knew it", "This budget protects the services people rely on", "I will not sign a budget built on borrowed money"],
        "facts": ["The city spends about {N} million dollars a year on roads", "The reserve fund fell by {N} percent last year", "Property taxes were last raised in {Y}", "The pension shortfall is estimated at {N} million dollars"],
        "titles": ["{P} council approves tax increase", "Auditor warns of hidden deficit in {P}", "{I} denies misleading residents on budget", "Library closures spark protest in {D}"],
    },
    "hospital": {
        "institutions": ["{P} General Hospital", "the Health Ministry", "the Nurses Association", "{S} Medical Group"],
        "roles": ["chief medical officer", "health minister", "president", "hospital director", "spokesperson"],
        "things": ["the emergency department", "the waiting list", "the maternity ward", "the staffing rota", "the new cancer wing", "the ambulance handover times", "the patient records system"],
        "events": ["closed the maternity ward overnight", "reported waits of up to {N} hours", "postponed {N} planned operations", "opened the new cancer wing", "diverted ambulances to {P}"],
        "claims": ["patients had been put at risk", "the waits were caused by a winter surge", "the ward had enough nurses on every shift", "the records system had lost appointment data", "the closure was temporary"],
        "accusations": ["understaffing the emergency department", "hiding the length of the waiting list", "ignoring complaints from nurses", "diverting money from patient care"],
        "promises": ["hire {N} more nurses", "reopen the maternity ward by {M}", "cut waiting times in half", "publish weekly waiting figures"],
        "quotes": ["Nurses are working double shifts just to keep the doors open", "No patient was harmed as a result of the closure", "We were told help was coming, and it never came", "These figures are the worst I have seen in twenty years", "We are doing everything we can with the staff we have"],
        "facts": ["The hospital treats about {N},000 emergency patients a year", "The waiting list has grown by {N} percent since {Y}", "The cancer wing cost {N} million dollars", "Ambulances waited an average of {N} minutes in {M}"],
        "titles": ["Patients wait {N} hours at {P} General", "Nurses accuse {I} of understaffing", "Maternity ward closure alarms {P} families", "Health minister promises more nurses"],
    },
    "wildfire": {
        "institutions": ["the {P} Fire Service", "the Forestry Commission", "{S} Power", "the Emergency Management Office"],
        "roles": ["fire chief", "incident commander", "spokesperson", "emergency coordinator", "chief executive"],
        "things": ["the evacuation order", "the power lines near {P}", "the firebreak", "the emergency shelters", "the burn ban", "the warning system", "the water bombers"],
        "events": ["ordered {N},000 residents to evacuate", "cut power to {N} homes", "opened shelters in {P}", "reported that the fire had burned {N} hectares", "lifted the evacuation order for {D}"],
        "claims": ["a power line had started the fire", "the warning came too late", "the firebreak had held", "the burn ban was ignored", "the fire was under control"],
        "accusations": ["failing to maintain the power lines", "sending the evacuation alert hours late", "ignoring the fire risk warnings", "underfunding the volunteer crews"],
        "promises": ["compensate families who lost homes", "bury the power lines near {P}", "review the warning system", "rebuild the school in {D}"],
        "quotes": ["We had minutes to get out, not hours", "Our crews have been on the line for {N} days straight", "There is no evidence our equipment started this fire", "The wind changed and the fire jumped the road", "Do not go back until we tell you it is safe"],
        "facts": ["The fire has burned about {N} hectares since {W}", "About {N} homes were destroyed", "The region had its driest {M} since {Y}", "More than {N} firefighters are working the fire"],
        "titles": ["Wildfire forces {N},000 to flee near {P}", "{I} denies power line started fire", "Residents return to {D} as evacuation order lifted", "Questions grow over late fire warning"],
    },
    "trial": {
        "institutions": ["the {P} District Court", "the Public Prosecutor's Office", "{S} & {S} LLP", "{S} Holdings"],
        "roles": ["prosecutor", "defense lawyer", "judge", "former chief financial officer", "spokesperson"],
        "things": ["the bribery case", "the witness testimony", "the plea deal", "the leaked emails", "the sentencing hearing", "the procurement contract", "the offshore accounts"],
        "events": ["charged {N} former officials with bribery", "adjourned the trial until {M}", "admitted the leaked emails as evidence", "rejected the plea deal", "froze {N} offshore accounts"],
        "claims": ["the contract had been awarded fairly", "the emails were taken out of context", "the witness had been paid", "the defendant had acted alone", "the accounts held stolen public money"],
        "accusations": ["paying bribes for the procurement contract", "tampering with a witness", "destroying documents", "lying to investigators"],
        "promises": ["appeal the verdict", "cooperate fully with investigators", "return every dollar that was taken", "release the full contract"],
        "quotes": ["My client has never taken a bribe in his life", "The evidence will show exactly where the money went", "This case is about public trust", "I did what I was told to do by my superiors", "We will let the court decide, not the newspapers"],
        "facts": ["The contract was worth about {N} million dollars", "The trial is expected to last {N} weeks", "Investigators seized documents in {M} {Y}", "Prosecutors have called {N} witnesses"],
        "titles": ["Bribery trial opens in {P}", "Former official denies taking bribes", "{I} accused of witness tampering", "Court freezes accounts in {P} contract case"],
    },
    "energy": {
        "institutions": ["{S} Energy", "the Energy Regulator", "the Consumers Council", "the Ministry of Energy"],
        "roles": ["chief executive", "regulator chair", "energy minister", "consumer advocate", "spokesperson"],
        "things": ["the price cap", "the winter tariffs", "the wind farm off {P}", "the gas storage site", "the grid connection", "the smart meter rollout", "the standing charges"],
        "events": ["raised the price cap by {N} percent", "approved the wind farm off {P}", "delayed the smart meter rollout", "fined {S} Energy {N} million dollars", "cut the standing charges"],
        "claims": ["prices would fall by spring", "customers had been overcharged", "the wind farm would cut bills", "the storage site was half empty", "the fine was unjustified"],
        "accusations": ["overcharging customers on prepaid meters", "profiteering during the cold snap", "misleading the regulator", "blocking cheaper suppliers"],
        "promises": ["refund overcharged customers", "freeze tariffs through the winter", "connect the wind farm by {Y}", "publish its profit margins"],
        "quotes": ["People are choosing between heating and eating", "Our prices reflect what we pay on the wholesale market", "This fine sends a clear message to the whole industry", "The wind farm will power {N},000 homes", "We will contest this decision in court"],
        "facts": ["The average household bill rose by {N} percent in {Y}", "The wind farm will have {N} turbines", "About {N},000 homes use prepaid meters in {P}", "Wholesale gas prices fell {N} percent in {M}"],
        "titles": ["Energy bills to rise {N} percent", "{I} fined for overcharging customers", "Wind farm off {P} approved", "Regulator accuses supplier of profiteering"],
    },
    "schools": {
        "institutions": ["the {P} School Board", "the Teachers Union", "the Education Ministry", "{P} Parents Association"],
        "roles": ["superintendent", "union president", "education minister", "board chair", "parent representative"],
        "things": ["the school closures", "the new curriculum", "the exam results", "the building inspections", "the class sizes", "the lunch program", "the teacher vacancies"],
        "events": ["voted to close {N} schools", "postponed the new curriculum", "found cracked concrete in {N} buildings", "published the exam results", "cut the lunch program in {D}"],
        "claims": ["the buildings were safe", "class sizes had doubled", "the closures would save money", "parents had been consulted", "the exam results were the best in years"],
        "accusations": ["closing schools in poorer districts first", "hiding the inspection reports", "breaking the promise on class sizes", "ignoring parents"],
        "promises": ["keep the school in {D} open", "hire {N} new teachers", "repair every building before {M}", "restore the lunch program"],
        "quotes": ["Our children should not be learning under propped-up ceilings", "Every closure was a hard decision", "Teachers are leaving faster than we can hire them", "The inspection found no immediate danger", "Parents found out from a letter in a backpack"],
        "facts": ["The district has about {N},000 pupils", "As many as {N} teaching posts were vacant in {M}", "The inspections began in {Y}", "Average class size rose to {N} pupils"],
        "titles": ["{P} board votes to close {N} schools", "Cracked concrete found in {P} classrooms", "Teachers union accuses {I}", "Parents protest school closures in {D}"],
    },
    "housing": {
        "institutions": ["{S} Developments", "the {P} Planning Committee", "the Tenants Union", "the Housing Ministry"],
        "roles": ["managing director", "committee chair", "tenant organizer", "housing minister", "spokesperson"],
        "things": ["the tower project in {D}", "the rent increases", "the affordable housing quota", "the eviction notices", "the planning permit", "the fire safety survey", "the demolition plan"],
        "events": ["approved {N} new apartments in {D}", "sent eviction notices to {N} families", "raised rents by {N} percent", "halted the demolition plan", "cut the affordable housing quota"],
        "claims": ["the rents were below the market rate", "the survey found no fire risk", "the quota had been quietly lowered", "the tenants were offered alternatives", "the permit was granted properly"],
        "accusations": ["pushing out long-term tenants", "ignoring the fire safety survey", "lobbying the committee in secret", "breaking the affordable housing agreement"],
        "promises": ["build {N} affordable homes", "pause the evictions", "publish the fire safety survey", "consult tenants before any demolition"],
        "quotes": ["We have lived here for thirty years and now we have six weeks to leave", "This project will bring homes the city badly needs", "The committee did not see the survey before the vote", "Nobody is being forced out", "Affordable has to mean affordable for people who live here"],
        "facts": ["The project includes about {N} apartments", "Average rents in {P} rose {N} percent since {Y}", "The quota was set at {N} percent of new homes", "The tower was built in {Y}"],
        "titles": ["Tenants fight evictions in {D}", "{I} denies ignoring fire survey", "Tower project approved in {P}", "Rents up {N} percent as quota cut"],
    },
    "data": {
        "institutions": ["{S} Systems", "the Data Protection Authority", "{P} Regional Bank", "the Cyber Security Centre"],
        "roles": ["chief technology officer", "commissioner", "chief executive", "security researcher", "spokesperson"],
        "things": ["the data breach", "the customer database", "the ransom demand", "the password reset", "the audit log", "the backup servers", "the notification letters"],
        "events": ["disclosed a breach affecting {N},000 customers", "took its online services offline", "refused to pay the ransom", "sent notification letters to customers", "opened an inquiry into {S} Systems"],
        "claims": ["no financial data had been taken", "the breach was discovered in {M}", "the attackers had been inside for weeks", "the passwords were encrypted", "customers had been told promptly"],
        "accusations": ["waiting weeks to tell customers", "ignoring a warning from researchers", "storing passwords without encryption", "paying the attackers in secret"],
        "promises": ["offer free credit monitoring", "pay for an independent audit", "notify every affected customer by {W}", "rebuild the customer database"],
        "quotes": ["We take the security of our customers extremely seriously", "They knew about this in {M} and said nothing", "There is no evidence that the data has been misused", "Change your password today, not tomorrow", "Companies cannot keep treating breaches as a public relations problem"],
        "facts": ["The database held records of about {N},000 customers", "The company reported {N} incidents in {Y}", "The authority can fine companies up to {N} percent of turnover", "Services were offline for {N} hours"],
        "titles": ["{I} breach exposes {N},000 customers", "Regulator opens inquiry into data breach", "Bank denies paying ransom", "Customers told late about {P} breach"],
    },
}
TOPIC_NAMES = tuple(TOPICS)

# Shared sentence extensions (appended before the final period to reach the target length).
EXTENSIONS = [
    "on {W}", "late on {W}", "earlier this month", "according to documents seen by {O}",
    "after weeks of complaints from residents of {D}", "in a statement released on {W}",
    "for the second time this year", "despite objections from {I2}",
    "at a news conference in {P}", "in an interview with {O}", "according to two people familiar with the matter",
    "in a letter to {I2}", "after a meeting that lasted {N} hours", "before the deadline in {M}",
    "as pressure grew on {I2}", "in a vote of {N} to {N2}", "while investigators examined {T}",
    "in the {D} neighborhood", "which had been planned since {Y}",
]


@dataclass(frozen=True)
class GeneratedArticle:
    """One generated article; `body` keeps paragraphs separated by blank lines."""

    number: int
    story: int
    title: str
    body: str
    outlet: str
    author: str
    published_at: str  # ISO date
    url: str
    external_id: str
    # (start, end) of each sentence in `body`, as written: lets bulk builders skip segmentation.
    sentence_spans: tuple[tuple[int, int], ...] = ()

    def as_record(self) -> dict[str, str]:
        """A JSON object in the shape the jsonl reader accepts."""
        return {
            "id": self.external_id,
            "title": self.title,
            "outlet": self.outlet,
            "author": self.author,
            "published_at": self.published_at,
            "url": self.url,
            "body": self.body,
        }

    def as_markdown(self) -> str:
        front = "\n".join(
            f"{key}: {json.dumps(value, ensure_ascii=False)}"
            for key, value in (("title", self.title), ("outlet", self.outlet), ("author", self.author),
                               ("date", self.published_at), ("url", self.url), ("id", self.external_id))
        )
        return f"---\n{front}\n---\n\n{self.body}\n"

    def as_raw_article(self, source: str = "generated") -> RawArticle:
        return RawArticle(
            source=source, where=f"record {self.number + 1}", title=self.title, body=self.body,
            outlet=self.outlet, author=self.author, published_at=self.published_at, url=self.url,
            external_id=self.external_id, format="jsonl",
        )


# ------------------------------------------------------------------------------------ story cast


@dataclass(frozen=True)
class _Person:
    first: str
    last: str
    role: str
    institution: str

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(frozen=True)
class _Story:
    number: int
    topic: str
    place: str
    district: str
    day: date
    institutions: tuple[str, ...]
    people: tuple[_Person, ...]
    outlets: tuple[int, ...]  # indexes into OUTLETS, one per article of the story


_SLOT = re.compile(r"\{(P|D|W|M|Y|N2|N|O|I2|I|T|S)\}")
_NUMBERS = [str(n) for n in (2, 3, 4, 5, 6, 8, 12, 14, 17, 20, 25, 30, 40, 45, 60, 75, 120, 300)]


def _pick(rng: random.Random, items: Sequence[str]) -> str:
    # random.choice is exact but slow; this is plenty for made-up text and 3x faster.
    return items[int(rng.random() * len(items))]


def _surname(rng: random.Random) -> str:
    return _pick(rng, SURNAME_HEADS) + _pick(rng, SURNAME_TAILS)


def _place(rng: random.Random) -> str:
    return rng.choice(PLACE_HEADS) + rng.choice(PLACE_TAILS)


def _fill_institution(pattern: str, rng: random.Random, place: str) -> str:
    return pattern.replace("{P}", place).replace("{S}", _surname(rng), 1).replace("{S}", _surname(rng))


def _story(seed: int, number: int) -> _Story:
    rng = random.Random(f"newsdesk-bench:{seed}:story:{number}")
    topic = TOPIC_NAMES[rng.randrange(len(TOPIC_NAMES))]
    spec = TOPICS[topic]
    place = _place(rng)
    institutions = tuple(_fill_institution(p, rng, place) for p in spec["institutions"])
    people = tuple(
        _Person(rng.choice(FIRST_NAMES), _surname(rng), rng.choice(spec["roles"]), institutions[i % len(institutions)])
        for i in range(rng.randint(3, 5))
    )
    day = date(2023, 1, 1) + timedelta(days=rng.randrange(730))
    outlets = tuple(rng.sample(range(len(OUTLETS)), ARTICLES_PER_STORY))
    return _Story(number, topic, place, rng.choice(DISTRICTS), day, institutions, people, outlets)


# ------------------------------------------------------------------------------------ sentences


class _Writer:
    """Writes the sentences of one article about one story with one random stream."""

    def __init__(self, story: _Story, rng: random.Random, outlet: str) -> None:
        self.story = story
        self.rng = rng
        self.outlet = outlet
        self.spec = TOPICS[story.topic]
        self.introduced: set[str] = set()

    # Slots ------------------------------------------------------------------------------

    def fill(self, pattern: str) -> str:
        if "{" not in pattern:
            return pattern
        return _SLOT.sub(lambda m: self._slot(m.group(1)), pattern)

    def _slot(self, name: str) -> str:
        rng, story = self.rng, self.story
        if name == "P":
            return story.place
        if name == "D":
            return story.district
        if name == "W":
            return _pick(rng, WEEKDAYS)
        if name == "M":
            return _pick(rng, MONTHS)
        if name == "Y":
            return str(2009 + int(rng.random() * 14))
        if name == "N":
            return _pick(rng, _NUMBERS)
        if name == "N2":
            return str(1 + int(rng.random() * 9))
        if name == "O":
            return _pick(rng, [o for o, _ in OUTLETS if o != self.outlet])
        if name in ("I", "I2"):
            return _pick(rng, story.institutions)
        if name == "T":
            return _pick(rng, self.spec["things"])
        return _surname(rng)  # "S"

    def pick(self, kind: str) -> str:
        return self.fill(_pick(self.rng, self.spec[kind]))

    def speaker(self) -> str:
        """A person's full name with role on first mention, the surname afterwards."""
        person = _pick(self.rng, self.story.people)
        if person.full in self.introduced:
            return person.last
        self.introduced.add(person.full)
        return f"{person.full}, {_article_for(person.role)} {person.role} at {person.institution},"

    def institution(self) -> str:
        return _pick(self.rng, self.story.institutions)

    # Sentence kinds: each returns (core, tail); extensions go between them. -------------------

    def lead(self) -> tuple[str, str]:
        return f"{_capital(self.institution())} {self.pick('events')}", f", officials said on {_pick(self.rng, WEEKDAYS)}"

    def direct_quote(self) -> tuple[str, str]:
        quote = self.pick("quotes")
        person = _pick(self.rng, self.story.people)
        if person.full in self.introduced:
            verb = _pick(self.rng, ["said", "said", "said", "told reporters", "added"])
            return f"\u201c{quote},\u201d {person.last} {verb}", ""
        self.introduced.add(person.full)
        return f"\u201c{quote},\u201d said {person.full}, {_article_for(person.role)} {person.role} at {person.institution}", ""

    def indirect(self) -> tuple[str, str]:
        verb = _pick(self.rng, ["said", "said", "claimed", "insisted", "told {O}", "confirmed"])
        return f"{_capital(self.speaker())} {self.fill(verb)} that {self.pick('claims')}", ""

    def denial(self) -> tuple[str, str]:
        if self.rng.random() < 0.5:
            return f"{_capital(self.institution())} denied that {self.pick('claims')}", ""
        kind = _pick(self.rng, ["claims of", "any part in", "allegations of"])
        return f"{_capital(self.speaker())} denied {kind} {self.pick('accusations')}", ""

    def accusation(self) -> tuple[str, str]:
        return f"{_capital(self.speaker())} accused {self.institution()} of {self.pick('accusations')}", ""

    def promise(self) -> tuple[str, str]:
        return f"{_capital(self.speaker())} promised to {self.pick('promises')}", ""

    def fact(self) -> tuple[str, str]:
        return self.pick("facts"), ""

    def declined(self) -> tuple[str, str]:
        subject = _pick(self.rng, ["A spokesperson for", "A lawyer for", "Officials at", "A representative of"])
        return f"{subject} {self.institution()} declined to comment on {self.pick('things')}", ""

    def context(self) -> tuple[str, str]:
        opener = _pick(self.rng, ["It was not immediately clear whether", "Critics have long argued that",
                                  "Residents said they had not been told that", "Records show that"])
        return f"{opener} {self.pick('claims')}", ""

    # Length ------------------------------------------------------------------------------------

    def sentence(self, kind: str) -> str:
        """A sentence of MIN_WORDS..MAX_WORDS words, its length drawn around 20 words."""
        target = min(MAX_WORDS, max(MIN_WORDS, round(self.rng.gauss(20, 7))))
        for _ in range(20):
            introduced = set(self.introduced)
            core, tail = getattr(self, kind)()
            words = len(core.split()) + len(tail.split())
            if words <= MAX_WORDS:
                break
            self.introduced = introduced  # the long one is dropped: its speaker is still new
        if core.startswith("\u201c"):  # quotes get no extensions, only a time if they are short
            if words < MIN_WORDS:
                core += " " + self.fill(_pick(self.rng, ["on {W}", "at a news conference", "in an interview with {O}"]))
            return core + "."
        used: set[str] = set()
        for _ in range(3):
            if words >= target:
                break
            pattern = _pick(self.rng, EXTENSIONS)
            extension = self.fill(pattern)
            size = len(extension.split())
            if pattern in used or words + size > MAX_WORDS:
                continue
            used.add(pattern)
            core += ("," if self.rng.random() < 0.4 else "") + " " + extension
            words += size
        if words < MIN_WORDS:  # a short core always gets a time phrase
            core += " " + self.fill(_pick(self.rng, ["on {W}", "earlier this month", "in {M}"]))
        return _capital(core + tail) + "."


_PLAN = ["lead", "direct_quote", "indirect", "fact", "denial", "direct_quote", "accusation", "context",
         "promise", "fact", "declined", "indirect", "direct_quote", "denial", "fact", "context"]


def _article_for(word: str) -> str:
    return "an" if word[0].lower() in "aeio" else "a"  # "a union", "an officer"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text and not text.startswith("\u201c") else text


# ------------------------------------------------------------------------------------ articles


def generate_article(number: int, seed: int = 0, wire_copy_rate: float = 0.03) -> GeneratedArticle:
    """Article `number` of the corpus with this seed (independent of every other article)."""
    story = _story(seed, number // ARTICLES_PER_STORY)
    rng = random.Random(f"newsdesk-bench:{seed}:article:{number}")
    position = number % ARTICLES_PER_STORY
    outlet, slug = OUTLETS[story.outlets[position]]
    if position > 0 and rng.random() < wire_copy_rate:
        # A wire copy: the first article of the story, republished with a new headline.
        original = generate_article(number - position, seed, wire_copy_rate=0.0)
        body, title, spans = original.body, f"{original.title} ({outlet})", original.sentence_spans
    else:
        title, body, spans = _write(story, rng, outlet)
    day = story.day + timedelta(days=rng.choice([0, 0, 0, 1, 1, 2, 3]))
    reporters = random.Random(f"newsdesk-bench:{seed}:outlet:{slug}")
    author = f"{reporters.choice(FIRST_NAMES)} {_surname(reporters)}" if rng.random() < 0.9 else f"{outlet} staff"
    url_slug = "-".join(title.lower().replace(",", "").replace("'", "").split()[:8])
    return GeneratedArticle(
        number=number, story=story.number, title=title, body=body, outlet=outlet, author=author,
        published_at=day.isoformat(),
        url=f"https://{slug}.example/news/{day:%Y/%m/%d}/{url_slug}-{number}",
        external_id=f"gen-{seed}-{number}", sentence_spans=spans,
    )


def _write(story: _Story, rng: random.Random, outlet: str) -> tuple[str, str, tuple[tuple[int, int], ...]]:
    writer = _Writer(story, rng, outlet)
    title = writer.fill(rng.choice(TOPICS[story.topic]["titles"]))
    title = title.replace(writer.story.institutions[0], writer.story.institutions[0].removeprefix("the "))
    n_sentences = rng.randint(12, 30)
    kinds = ["lead"] + [rng.choice(_PLAN[1:]) if rng.random() < 0.5 else _PLAN[1 + i % (len(_PLAN) - 1)]
                        for i in range(n_sentences - 1)]
    sentences = [writer.sentence(kind) for kind in kinds]
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    offset = 0
    i = 0
    while i < len(sentences):
        size = 1 if i == 0 else rng.choice([1, 2, 2, 3])
        for j, sentence in enumerate(sentences[i : i + size]):
            separator = ("\n\n" if j == 0 else " ") if parts else ""
            parts.append(separator + sentence)
            offset += len(separator)
            spans.append((offset, offset + len(sentence)))
            offset += len(sentence)
        i += size
    return _capital(title), "".join(parts), tuple(spans)


def generate_articles(n: int, seed: int = 0, start: int = 0, wire_copy_rate: float = 0.03) -> Iterator[GeneratedArticle]:
    for number in range(start, start + n):
        yield generate_article(number, seed, wire_copy_rate)


def write_corpus(
    folder: str | Path,
    n: int,
    seed: int = 0,
    fmt: str = "jsonl",
    per_file: int = 500,
    start: int = 0,
    wire_copy_rate: float = 0.03,
) -> list[Path]:
    """Write n articles as .jsonl files (`per_file` articles each) or one .md file per article."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    articles = generate_articles(n, seed, start, wire_copy_rate)
    if fmt == "md":
        paths = []
        for article in articles:
            path = folder / f"article-{article.number:07d}.md"
            path.write_text(article.as_markdown(), encoding="utf-8")
            paths.append(path)
        return paths
    if fmt != "jsonl":
        raise ValueError(f"unknown corpus format {fmt!r}: use 'jsonl' or 'md'")
    paths = []
    batch: list[GeneratedArticle] = []
    for article in articles:
        batch.append(article)
        if len(batch) == per_file:
            paths.append(_write_jsonl(folder, batch))
            batch = []
    if batch:
        paths.append(_write_jsonl(folder, batch))
    return paths


def _write_jsonl(folder: Path, batch: Sequence[GeneratedArticle]) -> Path:
    path = folder / f"articles-{batch[0].number:07d}.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for article in batch:
            fh.write(json.dumps(article.as_record(), ensure_ascii=False) + "\n")
    return path


# ------------------------------------------------------------------------------------ questions

_QUESTION_PATTERNS = [
    "What did {person} say about {thing}?",
    "Who denied that {claim}?",
    "Why did {institution} come under pressure in {place}?",
    "What happened with {thing} in {place}?",
    "Who accused {institution} of {accusation}?",
    "What did {institution} promise after the problems with {thing}?",
    "How did {outlet} report the story about {thing} in {place}?",
    "What do we know about {thing}?",
]


def make_questions(n: int, seed: int = 0, corpus_articles: int = 1000) -> list[str]:
    """n questions about stories of the first `corpus_articles` articles (deterministic)."""
    rng = random.Random(f"newsdesk-bench:{seed}:questions")
    stories = max(1, corpus_articles // ARTICLES_PER_STORY)
    questions = []
    for _ in range(n):
        story = _story(seed, rng.randrange(stories))
        writer = _Writer(story, rng, outlet="")
        person = rng.choice(story.people)
        values = {
            "{person}": person.full, "{thing}": writer.pick("things"), "{claim}": writer.pick("claims"),
            "{institution}": rng.choice(story.institutions), "{place}": story.place,
            "{accusation}": writer.pick("accusations"), "{outlet}": OUTLETS[story.outlets[0]][0],
        }
        question = rng.choice(_QUESTION_PATTERNS)
        for slot, value in values.items():
            question = question.replace(slot, value)
        questions.append(question)
    return questions


def sentence_lengths(articles: Iterable[GeneratedArticle]) -> list[int]:
    """Words per sentence, splitting on the generator's own sentence ends (for checks)."""
    lengths = []
    for article in articles:
        for paragraph in article.body.split("\n\n"):
            for sentence in re.split(r"(?<=[.])\s+(?=[A-Z\u201c])", paragraph):
                lengths.append(len(sentence.split()))
    return lengths


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a generated news corpus for benchmarks.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("jsonl", "md"), default="jsonl")
    args = parser.parse_args(argv)
    paths = write_corpus(args.out, args.n, args.seed, args.format)
    print(f"wrote {args.n} articles in {len(paths)} files under {args.out}")


if __name__ == "__main__":
    main()
