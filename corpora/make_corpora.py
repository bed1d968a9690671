"""Generate the small corpora in this folder (seeded, so the output is always the same).

    python corpora/make_corpora.py          # rewrites story.txt

story.txt: short fables built from a hand-written grammar (characters, places, deeds
and morals written for seqcli), for the char-LM demo and tests.
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


if __name__ == "__main__":
    (HERE / "story.txt").write_text(story(), encoding="utf-8")
