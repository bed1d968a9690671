"""How often each word is written with a capital in running text: the one hint a
lower-cased sentence still gives that a word is a name.

A tagger trained with `--case-text FILE` (`capital_prior`) reads, beside each
token's own capitalisation, the class of its word's share of capitalised uses in
that text, counted where a capital means something: not at the start of a line or
a sentence, and not in a word in capitals throughout. "john" lower-cased still
reads as a word written "John" nearly always; "may" as one written so sometimes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from seqcli.vocab import Vocab, word_key

# classes of a word's capitalised share; 0 is padding, UNSEEN a word seen fewer than
# MIN_USES times (or not in the vocabulary), then one class per share below each bound
UNSEEN = 1
BOUNDS = (0.05, 0.5, 0.95, 1.01)
CLASSES = 2 + len(BOUNDS)
MIN_USES = 3
# a token ending so ends a sentence; the next one's capital means nothing
ENDS = (".", "!", "?", ":", '"')
STRIP = "\"'()[]{}<>,;:.!?*`«»“”‘’"


def capital_uses(lines: Iterable[str]) -> tuple[Counter, Counter]:
    """(capitalised, all) counts of each lower-cased word key's uses in the lines,
    each line split at spaces; words at a line's or a sentence's start, all-capital
    words and tokens not starting with a letter are not counted."""
    capital: Counter = Counter()
    uses: Counter = Counter()
    for line in lines:
        start = True
        for raw in line.split():
            token = raw.strip(STRIP)
            counted = not start and token[:1].isalpha()
            start = raw.endswith(ENDS)
            if not counted or (len(token) > 1 and token.isupper()):
                continue
            key = word_key(token)
            uses[key] += 1
            if token[0].isupper():
                capital[key] += 1
    return capital, uses


def capital_classes(words: Vocab, lines: Iterable[str]) -> list[int]:
    """The class of each word id of `words` (see BOUNDS) from its uses in `lines`;
    a cased vocabulary's "John" and "john" both take the class of "john"."""
    capital, uses = capital_uses(lines)
    classes = [0] * len(words)
    for i, word in enumerate(words.itos):
        if i == words.pad_index:
            continue
        key = word.lower()
        n = uses.get(key, 0)
        if n < MIN_USES:
            classes[i] = UNSEEN
            continue
        share = capital[key] / n
        classes[i] = 2 + next(b for b, bound in enumerate(BOUNDS) if share < bound)
    return classes
