"""Subword units by byte-pair encoding (Sennrich, Haddow and Birch, 2016).

Rare words are spelt from frequent pieces instead of becoming <unk>. Learning starts
from the characters of the training words and merges the most frequent adjacent pair
of symbols, again and again; a word is split by applying the merges in the order they
were learnt. Every piece after a word's first starts with CONTINUE, so that joining
gives the words back exactly.

(Hugging Face's `tokenizers` has a BPE trainer, but it would bring huggingface-hub and a
dozen more packages with it; the algorithm is this page.)
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Container, Iterable, Sequence

CONTINUE = "@@"  # marks a piece that continues the word before it

Pair = tuple[str, str]


def _merge(symbols: list[str], pair: Pair) -> list[str]:
    """Symbols with every occurrence of `pair` joined, left to right."""
    a, b = pair
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
            out.append(a + b)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def learn(words: Iterable[str], merges: int, min_count: int = 2) -> list[Pair]:
    """Up to `merges` merges from the words of a corpus (one item per occurrence).

    Ties between equally frequent pairs go to the smaller pair, so the result does not
    depend on the order of the words. Stops early when no pair occurs min_count times.
    """
    counts = Counter(words)
    spelt = [list(w) for w in counts]
    freq = list(counts.values())
    pairs: Counter[Pair] = Counter()
    where: defaultdict[Pair, set[int]] = defaultdict(set)  # pair → words holding it
    for i, symbols in enumerate(spelt):
        for pair in zip(symbols, symbols[1:], strict=False):
            pairs[pair] += freq[i]
            where[pair].add(i)
    # a max-heap of (count, pair): a pair is pushed again when its count grows; an
    # entry whose pair has since become rarer is pushed back with the true count
    heap = [(-n, pair) for pair, n in pairs.items()]
    heapq.heapify(heap)
    learnt: list[Pair] = []
    while heap and len(learnt) < merges:
        n, best = heapq.heappop(heap)
        count = pairs.get(best, 0)
        if -n != count:
            if 0 < count < -n:
                heapq.heappush(heap, (-count, best))
            continue
        if count < min_count:
            break
        learnt.append(best)
        change: Counter[Pair] = Counter()
        for i in where.pop(best):
            old = spelt[i]
            new = _merge(old, best)
            if len(new) == len(old):
                continue
            for pair in zip(old, old[1:], strict=False):
                change[pair] -= freq[i]
            for pair in zip(new, new[1:], strict=False):
                change[pair] += freq[i]
                where[pair].add(i)
            spelt[i] = new
        for pair, delta in change.items():
            pairs[pair] += delta
            if delta > 0:
                heapq.heappush(heap, (-pairs[pair], pair))
        del pairs[best]
    return learnt


class Subwords:
    """Splits words into the pieces of learnt merges, and joins pieces back."""

    def __init__(self, merges: Sequence[Sequence[str]]):
        self.merges = [(a, b) for a, b in merges]
        self.rank = {pair: r for r, pair in enumerate(self.merges)}
        self._cache: dict[str, list[str]] = {}

    @classmethod
    def learn(cls, sentences: Iterable[Sequence[str]], merges: int) -> Subwords:
        return cls(learn((w for s in sentences for w in s), merges))

    def word(self, word: str) -> list[str]:
        """The pieces of one word, CONTINUE in front of all but the first."""
        pieces = self._cache.get(word)
        if pieces is None:
            symbols = list(word)
            while len(symbols) > 1:
                pairs = zip(symbols, symbols[1:], strict=False)
                best = min(pairs, key=lambda p: self.rank.get(p, len(self.rank)))
                if best not in self.rank:
                    break
                symbols = _merge(symbols, best)
            pieces = symbols[:1] + [CONTINUE + s for s in symbols[1:]]
            self._cache[word] = pieces
        return pieces

    def split(self, words: Sequence[str], keep: Container[str] = ()) -> list[str]:
        """The pieces of each word; words in `keep` stay whole."""
        return [p for w in words for p in ([w] if w in keep else self.word(w))]

    @staticmethod
    def join(pieces: Sequence[str]) -> list[str]:
        """Words from pieces: each CONTINUE piece is glued to the one before."""
        words: list[str] = []
        for piece in pieces:
            if piece.startswith(CONTINUE) and len(piece) > len(CONTINUE) and words:
                words[-1] += piece[len(CONTINUE) :]
            else:
                words.append(piece)
        return words

    def to_dict(self) -> list[list[str]]:
        return [list(pair) for pair in self.merges]
