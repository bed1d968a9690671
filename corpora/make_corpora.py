"""Generate the small corpora in this folder (seeded, so the output is always the same).

    python corpora/make_corpora.py   # rewrites story.txt, phrases.tsv, ner.conll,
                                     # reviews.tsv

story.txt: short fables built from a hand-written grammar (characters, places, deeds
and morals written for seqcli), for the char-LM demo and tests.

phrases.tsv: English<TAB>German sentence pairs ("A man is riding a horse on the beach."
/ "Ein Mann reitet ein Pferd am Strand.") from a small phrase grammar written for
seqcli, with German articles and adjective endings declined for the patterns used;
for the translator demo and tests.

ner.conll: sentences from hand-written news-style templates filled with invented
names of people, places, organisations and events, tagged token<TAB>IOB2 tag; for the
tagger demo and tests.

reviews.tsv: short reviews from hand-written templates, label<TAB>text with three
verdicts (pos, neg, mixed); for the classifier demo and tests.
"""

import random
from pathlib import Path

HERE = Path(__file__).parent

ANIMALS = [
    "fox",
    "crow",
    "hare",
    "tortoise",
    "owl",
    "mouse",
    "lion",
    "goat",
    "heron",
    "badger",
    "wren",
    "otter",
    "wolf",
    "lamb",
    "ant",
    "cricket",
]
TRAITS = [
    "proud",
    "clever",
    "lazy",
    "patient",
    "greedy",
    "kind",
    "foolish",
    "quiet",
    "boastful",
    "honest",
    "hungry",
    "careful",
]
PLACES = [
    "by the river",
    "at the edge of the wood",
    "on the old stone bridge",
    "in the barley field",
    "under the oak tree",
    "near the mill pond",
    "on the windy hill",
    "in the cold valley",
]
TIMES = [
    "One morning",
    "Late one autumn",
    "On a hot summer day",
    "In the spring",
    "When the snow had melted",
    "One evening",
    "Long ago",
]
FINDS = [
    "a piece of cheese",
    "a ripe pear",
    "a shining coin",
    "a basket of grain",
    "a jar of honey",
    "a warm coat",
    "a silver bell",
    "a loaf of bread",
]
DEEDS = [
    'The {a} laughed at the {b} and said, "You will never reach the end before me."',
    "The {a} wanted {find} for itself and tried to trick the {b}.",
    'The {a} asked the {b} for help, but the {b} said, "I am too busy today."',
    "The {a} shared {find} with the {b}, and they ate together {place}.",
    "The {a} boasted about its speed all day, while the {b} kept walking.",
    "The {a} hid {find} {place} and forgot where it was.",
    "The {a} sang so loudly that the {b} dropped {find}.",
    "The {a} worked all summer, but the {b} only played {place}.",
]
ENDS = [
    "In the end the {b} won, and the {a} learned its lesson.",
    "When winter came, the {b} had nothing to eat, and the {a} took pity on it.",
    "So the {a} lost {find}, and the {b} went home happy.",
    "The two became friends and never quarrelled again.",
    "Nobody ever found {find} again.",
]
MORALS = [
    "Slow and steady wins the race.",
    "Do not trust flatterers.",
    "A friend in need is a friend indeed.",
    "Look before you leap.",
    "Pride comes before a fall.",
    "Work today, and eat tomorrow.",
    "Little friends may prove great friends.",
    "Greed loses all it has.",
]


def fable(rng: random.Random) -> str:
    a, b = rng.sample(ANIMALS, 2)
    fill = {"a": a, "b": b, "find": rng.choice(FINDS), "place": rng.choice(PLACES)}
    lines = [f"THE {a.upper()} AND THE {b.upper()}", ""]
    lines.append(
        f"{rng.choice(TIMES)}, a {rng.choice(TRAITS)} {a} met a {rng.choice(TRAITS)} "
        f"{b} {fill['place']}."
    )
    for deed in rng.sample(DEEDS, rng.randint(2, 3)):
        lines.append(deed.format(**fill))
    lines.append(rng.choice(ENDS).format(**fill))
    lines += ["", f"Moral: {rng.choice(MORALS)}", "", ""]
    return "\n".join(lines)


def story(n: int = 400, seed: int = 1) -> str:
    rng = random.Random(seed)
    return "".join(fable(rng) for _ in range(n))


# --- phrases.tsv: English<TAB>German sentence pairs from a small phrase grammar ---
# Nouns: English singular, plural; German singular, plural, gender (m/f/n).
PEOPLE = [
    ("man", "men", "Mann", "Männer", "m"),
    ("woman", "women", "Frau", "Frauen", "f"),
    ("girl", "girls", "Mädchen", "Mädchen", "n"),
    ("child", "children", "Kind", "Kinder", "n"),
    ("worker", "workers", "Arbeiter", "Arbeiter", "m"),
    ("musician", "musicians", "Musiker", "Musiker", "m"),
    ("tourist", "tourists", "Tourist", "Touristen", "m"),
]
DOG = ("dog", "dogs", "Hund", "Hunde", "m")
PERSON_ADJECTIVES = [
    ("young", "jung"),
    ("old", "alt"),
    ("tall", "groß"),
    ("happy", "glücklich"),
    ("tired", "müde"),
]
THING_ADJECTIVES = [
    ("red", "rot"),
    ("blue", "blau"),
    ("green", "grün"),
    ("yellow", "gelb"),
    ("white", "weiß"),
    ("black", "schwarz"),
    ("small", "klein"),
    ("big", "groß"),
]
THINGS = {  # singular only: English, German, gender
    "horse": ("Pferd", "n"),
    "bicycle": ("Fahrrad", "n"),
    "ball": ("Ball", "m"),
    "stick": ("Stock", "m"),
    "book": ("Buch", "n"),
    "newspaper": ("Zeitung", "f"),
    "letter": ("Brief", "m"),
    "cup": ("Tasse", "f"),
    "umbrella": ("Regenschirm", "m"),
    "flag": ("Fahne", "f"),
    "bag": ("Tasche", "f"),
    "box": ("Kiste", "f"),
    "basket": ("Korb", "m"),
    "apple": ("Apfel", "m"),
    "sandwich": ("Sandwich", "n"),
    "banana": ("Banane", "f"),
    "cart": ("Wagen", "m"),
    "bird": ("Vogel", "m"),
    "car": ("Auto", "n"),
}
# English -ing form; German 3rd person singular, plural; objects; dogs may do it
TRANSITIVE = [
    ("riding", "reitet", "reiten", ["horse"], False),
    ("pushing", "schiebt", "schieben", ["bicycle", "cart", "car"], False),
    ("throwing", "wirft", "werfen", ["ball", "stick"], False),
    ("reading", "liest", "lesen", ["book", "newspaper", "letter"], False),
    ("holding", "hält", "halten", ["cup", "umbrella", "flag", "ball", "book"], False),
    ("carrying", "trägt", "tragen", ["bag", "box", "basket", "ball", "stick"], True),
    ("eating", "isst", "essen", ["apple", "sandwich", "banana"], False),
    ("watching", "beobachtet", "beobachten", ["bird", "car"], True),
]
INTRANSITIVE = [
    ("running", "läuft", "laufen", True),
    ("sitting", "sitzt", "sitzen", True),
    ("standing", "steht", "stehen", True),
    ("sleeping", "schläft", "schlafen", True),
    ("jumping", "springt", "springen", True),
    ("playing", "spielt", "spielen", True),
    ("dancing", "tanzt", "tanzen", False),
    ("waiting", "wartet", "warten", False),
    ("singing", "singt", "singen", False),
    ("laughing", "lacht", "lachen", False),
    ("working", "arbeitet", "arbeiten", False),
]
PHRASE_PLACES = [
    ("on the beach", "am Strand"),
    ("in the park", "im Park"),
    ("on the street", "auf der Straße"),
    ("in front of a building", "vor einem Gebäude"),
    ("next to a tree", "neben einem Baum"),
    ("in the snow", "im Schnee"),
    ("on the grass", "auf dem Rasen"),
    ("on a bench", "auf einer Bank"),
    ("in the city", "in der Stadt"),
    ("on a stage", "auf einer Bühne"),
    ("in a field", "auf einem Feld"),
    ("near the river", "in der Nähe des Flusses"),
]
WATER = [("in the water", "im Wasser"), ("in the lake", "im See")]
SWIMMING = ("swimming", "schwimmt", "schwimmen", True)


def _declined(stem: str, ending: str) -> str:
    """A German adjective with its ending ("müde" + "er" is "müder")."""
    return stem[:-1] + ending if stem.endswith("e") and ending else stem + ending


def _english_article(article: str, next_word: str) -> str:
    return "an" if article == "a" and next_word[0] in "aeiou" else article


def _subject(rng: random.Random, dog: bool) -> tuple[str, str, bool]:
    """(English, German, plural) of a nominative noun phrase."""
    en_sg, en_pl, de_sg, de_pl, gender = DOG if dog else rng.choice(PEOPLE)
    det = rng.choice(["a", "a", "the", "the", "two", "three", "some"])
    en_adj, de_adj = rng.choice(PERSON_ADJECTIVES) if rng.random() < 0.5 else ("", "")
    plural = det in ("two", "three", "some")
    if plural:
        de_det = {"two": "zwei", "three": "drei", "some": "einige"}[det]
        de_adj = de_adj and _declined(de_adj, "e")  # strong ending after a number
        en_noun, de_noun = en_pl, de_pl
    elif det == "a":
        de_det = {"m": "ein", "f": "eine", "n": "ein"}[gender]
        de_adj = de_adj and _declined(de_adj, {"m": "er", "f": "e", "n": "es"}[gender])
        en_noun, de_noun = en_sg, de_sg
    else:
        de_det = {"m": "der", "f": "die", "n": "das"}[gender]
        de_adj = de_adj and _declined(de_adj, "e")  # weak ending after der/die/das
        en_noun, de_noun = en_sg, de_sg
    en_words = [en_adj, en_noun] if en_adj else [en_noun]
    de_words = [de_adj, de_noun] if de_adj else [de_noun]
    en = " ".join([_english_article(det, en_words[0]), *en_words])
    return en, " ".join([de_det, *de_words]), plural


def _object(rng: random.Random, noun: str) -> tuple[str, str]:
    """(English, German) of a singular accusative noun phrase."""
    de_noun, gender = THINGS[noun]
    det = rng.choice(["a", "the"])
    en_adj, de_adj = rng.choice(THING_ADJECTIVES) if rng.random() < 0.4 else ("", "")
    if det == "a":
        de_det = {"m": "einen", "f": "eine", "n": "ein"}[gender]
        de_adj = de_adj and _declined(de_adj, {"m": "en", "f": "e", "n": "es"}[gender])
    else:
        de_det = {"m": "den", "f": "die", "n": "das"}[gender]
        de_adj = de_adj and _declined(de_adj, {"m": "en", "f": "e", "n": "e"}[gender])
    en_words = [en_adj, noun] if en_adj else [noun]
    de_words = [de_adj, de_noun] if de_adj else [de_noun]
    en = " ".join([_english_article(det, en_words[0]), *en_words])
    return en, " ".join([de_det, *de_words])


def phrase_pair(rng: random.Random) -> tuple[str, str]:
    """One English sentence and its German translation."""
    dog = rng.random() < 0.15
    en_subj, de_subj, plural = _subject(rng, dog)
    be = "are" if plural else "is"
    kind = rng.random()
    if kind < 0.45:
        verbs = [v for v in TRANSITIVE if v[4] or not dog]
        en_verb, de_sg, de_pl, objects, _ = rng.choice(verbs)
        en_obj, de_obj = _object(rng, rng.choice(objects))
        en = [en_subj, be, en_verb, en_obj]
        de = [de_subj, de_pl if plural else de_sg, de_obj]
        if rng.random() < 0.5:
            en_place, de_place = rng.choice(PHRASE_PLACES)
            en.append(en_place)
            de.append(de_place)
    else:
        swim = kind > 0.9
        if swim:
            en_verb, de_sg, de_pl, _ = SWIMMING
        else:
            en_verb, de_sg, de_pl, _ = rng.choice(
                [v for v in INTRANSITIVE if v[3] or not dog]
            )
        en_place, de_place = rng.choice(WATER if swim else PHRASE_PLACES)
        en = [en_subj, be, en_verb, en_place]
        de = [de_subj, de_pl if plural else de_sg, de_place]
    en_text, de_text = " ".join(en) + ".", " ".join(de) + "."
    return en_text[0].upper() + en_text[1:], de_text[0].upper() + de_text[1:]


def phrases(n: int = 3000, seed: int = 1) -> str:
    """`n` distinct sentence pairs, one `English<TAB>German` line each."""
    rng = random.Random(seed)
    seen: dict[tuple[str, str], None] = {}
    while len(seen) < n:
        seen[phrase_pair(rng)] = None
    return "".join(f"{en}\t{de}\n" for en, de in seen)


# --- ner.conll: sentences with named entities from hand-written templates ---
# Types follow CoNLL-2003: PER, LOC, ORG, MISC. Names are invented: made of random
# syllables (so that a model has to learn from context, capitals and spelling, not
# from a short list), plus a few hand-made organisation words.
ONSETS = "b br c d dr f g gr h j k l m n p r s st t th tr v w z".split()
VOWELS = "a e i o u a e o ai".split()
CODAS = ["", "", "", "n", "r", "l", "s", "m", "nd", "rk", "th"]
SURNAME_ENDS = ["", "", "", "son", "ley", "wick", "field", "mann", "ez"]
TOWN_ENDS = ["port", "mere", "ford", "by", "ton", "vale", "holm", "wick", "stead"]
ORG_HEADS = """Brightwater Kestrel Northfield Silverline Amberley Redcliff Harbourstone
Greenmantle Ironbridge Lantern""".split()


def invented(rng: random.Random, syllables: int, end: str = "") -> str:
    """A made-up capitalised word of `syllables` syllables and an ending."""
    word = "".join(
        rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)
        for _ in range(syllables)
    )
    return (word + end).capitalize()


def name_pools(rng: random.Random) -> dict[str, list]:
    """Fixed pools of invented names, so that each name recurs a few times."""

    def pool(n: int, make) -> list:
        found: dict = {}
        while len(found) < n:
            found[make()] = None
        return list(found)

    def town() -> str:
        base = invented(rng, rng.randint(1, 2), rng.choice(TOWN_ENDS))
        roll = rng.random()
        if roll < 0.15:
            return f"Port_{invented(rng, 2)}"
        return f"{base}_Cross" if roll < 0.25 else base

    def country() -> tuple[str, str]:
        stem = invented(rng, 2)
        return f"{stem}ia", f"{stem}ian"  # the country (LOC), its adjective (MISC)

    return {
        "first": pool(120, lambda: invented(rng, rng.randint(1, 2))),
        "surname": pool(
            150, lambda: invented(rng, rng.randint(1, 2), rng.choice(SURNAME_ENDS))
        ),
        "town": pool(100, town),
        "country": pool(24, country),
        "org": pool(40, lambda: invented(rng, 2)) + ORG_HEADS,
    }


ORG_TAILS = (
    "Bank Motors Group Airlines Foods Holdings Telecom Energy Press Rail".split()
)
CLUBS = "Rovers United Athletic Wanderers City".split()
EVENTS = """Harvest_Cup Spring_Games Lantern_Prize Open_Championship
Winter_Classic""".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = "January March April June August October December".split()
NER_TEMPLATES = [
    "{PER} flew from {LOC} to {LOC} .",
    "{PER} , the chief executive of {ORG} , said on {DAY} that profits rose .",
    "{ORG} shares fell {NUM} percent in {LOC} on {DAY} .",
    "{PER} met {PER} in {LOC} last week .",
    "The {MISC} government said it would talk to {ORG} .",
    "{PER} won the {EVENT} in {LOC} .",
    "{CLUB} beat {CLUB} {NUM} - {NUM} in {LOC} on {DAY} .",
    "Police in {LOC} said {PER} was arrested on {DAY} .",
    "{ORG} will open a new office in {LOC} next year .",
    '" We are very pleased , " {PER} told reporters in {LOC} .',
    "{PER} , a {MISC} writer , lives in {LOC} .",
    "The {MISC} minister {PER} arrived in {LOC} on {DAY} .",
    "{ORG} bought {ORG} for {NUM} million dollars .",
    "Prices rose {NUM} percent in {MONTH} , the bank said .",
    "It rained all day and the match was called off .",
    "{PER} said the deal with {ORG} was good news for {LOC} .",
    "Fans of {CLUB} travelled to {LOC} for the {EVENT} .",
    "{LOC} is the capital of {COUNTRY} .",
    "Talks between {COUNTRY} and {COUNTRY} ended on {DAY} .",
    "{PER} joined {ORG} in {MONTH} .",
    "Shares in {ORG} closed at {NUM} pence .",
    "The {MISC} team arrived in {LOC} after a long trip .",
]


def _entity(slot: str, rng: random.Random, names: dict) -> tuple[list[str], str]:
    """Tokens and type of one invented name for a template slot."""
    if slot == "PER":
        roll = rng.random()
        if roll < 0.6:
            return [rng.choice(names["first"]), rng.choice(names["surname"])], "PER"
        return [rng.choice(names["surname" if roll < 0.85 else "first"])], "PER"
    if slot == "LOC":
        if rng.random() < 0.75:
            return rng.choice(names["town"]).split("_"), "LOC"
        return [rng.choice(names["country"])[0]], "LOC"
    if slot == "COUNTRY":
        return [rng.choice(names["country"])[0]], "LOC"
    if slot == "ORG":
        tokens = [rng.choice(names["org"])]
        return tokens + [rng.choice(ORG_TAILS)] * (rng.random() < 0.8), "ORG"
    if slot == "CLUB":
        town = rng.choice(names["town"]).split("_")[-1]
        return [town, rng.choice(CLUBS)], "ORG"
    if slot == "MISC":
        return [rng.choice(names["country"])[1]], "MISC"
    if slot == "EVENT":
        return rng.choice(EVENTS).split("_"), "MISC"
    words = {"DAY": DAYS, "MONTH": MONTHS, "NUM": ["2", "3", "4", "12", "40", "7.5"]}
    return [rng.choice(words[slot])], "O"


def ner_sentence(rng: random.Random, names: dict) -> list[tuple[str, str]]:
    """One sentence as (token, IOB2 tag) pairs."""
    pairs = []
    for word in rng.choice(NER_TEMPLATES).split():
        if not (word.startswith("{") and word.endswith("}")):
            pairs.append((word, "O"))
            continue
        tokens, kind = _entity(word[1:-1], rng, names)
        for i, token in enumerate(tokens):
            pairs.append((token, "O" if kind == "O" else f"{'BI'[i > 0]}-{kind}"))
    return pairs


def ner(n: int = 600, seed: int = 1) -> str:
    """`n` sentences in CoNLL form: token<TAB>IOB2 tag, a blank line after each."""
    rng = random.Random(seed)
    names = name_pools(rng)
    lines = []
    for _ in range(n):
        lines += [f"{token}\t{tag}" for token, tag in ner_sentence(rng, names)] + [""]
    return "\n".join(lines) + "\n"


# --- reviews.tsv: short product and film reviews with a verdict ---

REVIEWED = ["film", "book", "phone", "camera", "album", "game", "hotel", "cafe", "show"]
GOOD = ["wonderful", "great", "lovely", "brilliant", "superb", "charming", "excellent"]
BAD = ["awful", "dull", "terrible", "boring", "poor", "clumsy", "dreadful"]
PLAIN = ["long", "short", "new", "old", "quiet", "busy", "simple"]
GOOD_ENDS = [
    "I would buy it again .",
    "Highly recommended .",
    "It made my week .",
    "Worth every penny .",
]
BAD_ENDS = [
    "I want my money back .",
    "Avoid it .",
    "A waste of time .",
    "Never again .",
]
PLAIN_ENDS = ["It does what it says .", "Nothing more to add .", "It arrived on time ."]
REVIEW_TEMPLATES = {
    "pos": [
        "The {thing} was {good} and the {thing2} was {good2} .",
        "What a {good} {thing} ! {end}",
        "I expected little , but the {thing} was {good} . {end}",
        "Not {bad} at all : a {good} {thing} . {end}",
    ],
    "neg": [
        "The {thing} was {bad} and the {thing2} was {bad2} .",
        "What a {bad} {thing} ! {end}",
        "I expected a lot , but the {thing} was {bad} . {end}",
        "Not {good} at all : a {bad} {thing} . {end}",
    ],
    "mixed": [
        "The {thing} was {good} but the {thing2} was {bad} .",
        "A {plain} {thing} , neither {good} nor {bad} . {end}",
        "The {thing} was {plain} . {end}",
        "Some parts were {good} , others {bad} .",
    ],
}


def review(label: str, rng: random.Random) -> str:
    """One review of the given verdict from the templates."""
    ends = {"pos": GOOD_ENDS, "neg": BAD_ENDS, "mixed": PLAIN_ENDS}[label]
    thing, thing2 = rng.sample(REVIEWED, 2)
    good, good2 = rng.sample(GOOD, 2)
    bad, bad2 = rng.sample(BAD, 2)
    text = rng.choice(REVIEW_TEMPLATES[label]).format(
        thing=thing,
        thing2=thing2,
        good=good,
        good2=good2,
        bad=bad,
        bad2=bad2,
        plain=rng.choice(PLAIN),
        end=rng.choice(ends),
    )
    text = " ".join(
        "an" if w == "a" and nxt[:1] in "aeiou" else w
        for w, nxt in zip(text.split(), text.split()[1:] + [""], strict=True)
    )
    return text[0].upper() + text[1:]


def reviews(n: int = 1500, seed: int = 3) -> str:
    """`n` lines of label<TAB>review: pos, neg and mixed in about equal parts."""
    rng = random.Random(seed)
    labels = [rng.choice(["pos", "neg", "mixed"]) for _ in range(n)]
    return "".join(f"{label}\t{review(label, rng)}\n" for label in labels)


if __name__ == "__main__":
    (HERE / "story.txt").write_text(story(), encoding="utf-8")
    (HERE / "phrases.tsv").write_text(phrases(), encoding="utf-8")
    (HERE / "ner.conll").write_text(ner(), encoding="utf-8")
    (HERE / "reviews.tsv").write_text(reviews(), encoding="utf-8")
