"""Byte-pair subword units: learning (against a brute-force learner), splitting."""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from seqcli.subwords import CONTINUE, Subwords, learn


def naive_learn(words, merges, min_count=2):
    """Recount every pair after every merge: slow and plainly right."""
    counts = Counter(words)
    spelt = {w: list(w) for w in counts}
    learnt = []
    for _ in range(merges):
        pairs = Counter()
        for w, n in counts.items():
            for pair in zip(spelt[w], spelt[w][1:], strict=False):
                pairs[pair] += n
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        if pairs[best] < min_count:
            break
        learnt.append(best)
        for w, symbols in spelt.items():
            out, i = [], 0
            while i < len(symbols):
                if symbols[i : i + 2] == list(best):
                    out.append(best[0] + best[1])
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            spelt[w] = out
    return learnt, spelt


WORDS = st.lists(st.text(alphabet="abcd", min_size=1, max_size=8), max_size=40)


@settings(max_examples=150, deadline=None)
@given(WORDS, st.integers(0, 30))
def test_merges_and_splits_match_a_brute_force_learner(words, merges):
    expected, spelt = naive_learn(words, merges)
    assert learn(words, merges) == expected
    subwords = Subwords(expected)
    for word, symbols in spelt.items():
        assert subwords.word(word) == symbols[:1] + [CONTINUE + s for s in symbols[1:]]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), max_size=20), WORDS, st.data())
def test_join_gives_back_the_words(sentence, training, data):
    subwords = Subwords(learn(training, 20))
    assert Subwords.join(subwords.split(sentence)) == sentence
    # words asked to stay whole are one unit each; the others split as alone
    keep = set(data.draw(st.lists(st.sampled_from(sentence)))) if sentence else set()
    units = subwords.split(sentence, keep)
    assert Subwords.join(units) == sentence
    expected = [u for w in sentence for u in ([w] if w in keep else subwords.word(w))]
    assert units == expected


def test_a_hand_worked_example():
    # "low" ×5, "lower" ×2, "newest" ×6, "widest" ×3 (Sennrich et al.'s example,
    # without the end-of-word symbol): e+s (9), es+t (9), l+o (7), lo+w (7), ...
    words = ["low"] * 5 + ["lower"] * 2 + ["newest"] * 6 + ["widest"] * 3
    merges = learn(words, 4)
    assert merges == [("e", "s"), ("es", "t"), ("l", "o"), ("lo", "w")]
    subwords = Subwords(merges)
    assert subwords.word("lowest") == ["low", "@@est"]
    assert subwords.word("newer") == ["n", "@@e", "@@w", "@@e", "@@r"]
    assert subwords.word("x") == ["x"]


def test_rare_words_become_pieces_and_frequent_ones_stay_whole():
    words = ["Fußball"] * 20 + ["spieler"] * 20 + ["Fußballspieler"]
    subwords = Subwords(learn(words, 100))
    assert subwords.word("Fußball") == ["Fußball"]
    assert subwords.word("Fußballspieler") == ["Fußball", "@@spieler"]
    assert subwords.word("Fußballspielerin")[:2] == ["Fußball", "@@spieler"]
