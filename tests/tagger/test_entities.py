"""Tests for seqcli.tagger.entities: conlleval-exact entity scores."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqcli.tagger.entities import chunks, format_report, score
from seqcli.tagger.schemes import to_spans

# Example A (IOB2): a match, a type mismatch and a boundary mismatch.
#   gold:  B-PER I-PER O B-LOC O B-ORG I-ORG
#   pred:  B-PER I-PER O B-ORG O B-ORG O
#   gold chunks: PER[0,2) LOC[3,4) ORG[5,7)
#   pred chunks: PER[0,2) ORG[3,4) ORG[5,6)
#   correct: PER[0,2) only -> 1 of 3 predicted, 1 of 3 gold
#   P = R = F1 = 1/3; tokens 3 and 6 differ -> accuracy 5/7
#   PER: 1/1, 1/1 -> 1.0; LOC: 0 predicted, 1 gold -> 0; ORG: 0/2, 0/1 -> 0
GOLD_A = [["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG", "I-ORG"]]
PRED_A = [["B-PER", "I-PER", "O", "B-ORG", "O", "B-ORG", "O"]]


def test_type_and_boundary_mismatch():
    result = score(GOLD_A, PRED_A)
    assert (result["correct"], result["predicted"], result["support"]) == (1, 3, 3)
    assert result["precision"] == pytest.approx(1 / 3)
    assert result["recall"] == pytest.approx(1 / 3)
    assert result["f1"] == pytest.approx(1 / 3)
    assert result["accuracy"] == pytest.approx(5 / 7)
    assert (result["tokens"], result["correct_tokens"]) == (7, 5)
    assert result["per_type"] == {
        "LOC": {"precision": 0.0, "recall": 0.0, "f1": 0.0,
                "correct": 0, "predicted": 0, "support": 1},
        "ORG": {"precision": 0.0, "recall": 0.0, "f1": 0.0,
                "correct": 0, "predicted": 2, "support": 1},
        "PER": {"precision": 1.0, "recall": 1.0, "f1": 1.0,
                "correct": 1, "predicted": 1, "support": 1},
    }  # fmt: skip


def test_report_matches_conlleval_text():
    assert format_report(score(GOLD_A, PRED_A)).splitlines() == [
        "processed 7 tokens with 3 phrases; found: 3 phrases; correct: 1.",
        "accuracy:  71.43%; precision:  33.33%; recall:  33.33%; FB1:  33.33",
        "              LOC: precision:   0.00%; recall:   0.00%; FB1:   0.00  0",
        "              ORG: precision:   0.00%; recall:   0.00%; FB1:   0.00  2",
        "              PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  1",
    ]


def test_iob1_input():
    # gold (IOB1): I-PER I-PER B-PER O I-LOC -> PER[0,2) PER[2,3) LOC[4,5)
    # pred:        I-PER I-PER I-PER O I-LOC -> PER[0,3) LOC[4,5)
    # correct: LOC only. P = 1/2, R = 1/3, F1 = 2(1/2)(1/3)/(5/6) = 2/5
    # accuracy: token 2 differs -> 4/5; PER: 0 of 1 predicted, 0 of 2 gold
    result = score([["I-PER", "I-PER", "B-PER", "O", "I-LOC"]],
                   [["I-PER", "I-PER", "I-PER", "O", "I-LOC"]])  # fmt: skip
    assert (result["correct"], result["predicted"], result["support"]) == (1, 2, 3)
    assert result["precision"] == pytest.approx(1 / 2)
    assert result["recall"] == pytest.approx(1 / 3)
    assert result["f1"] == pytest.approx(2 / 5)
    assert result["accuracy"] == pytest.approx(4 / 5)
    assert result["per_type"]["PER"]["support"] == 2
    assert result["per_type"]["PER"]["f1"] == 0.0
    assert result["per_type"]["LOC"]["f1"] == 1.0


def test_i_after_o_starts_a_chunk():
    # gold: O I-PER I-PER O -> PER[1,3) (I- after O starts a chunk)
    # pred: O B-PER I-PER O -> PER[1,3): correct, though token 1 differs
    result = score([["O", "I-PER", "I-PER", "O"]], [["O", "B-PER", "I-PER", "O"]])
    assert (result["correct"], result["predicted"], result["support"]) == (1, 1, 1)
    assert result["f1"] == 1.0
    assert result["accuracy"] == pytest.approx(3 / 4)


def test_sentence_boundary_ends_chunks():
    # gold/pred: [O I-PER] [I-PER O]: two chunks, PER[1,2) and PER[0,1),
    # not one chunk across the blank line. pred differs in the second
    # sentence: [I-PER I-PER] -> PER[0,2), a boundary mismatch.
    gold = [["O", "I-PER"], ["I-PER", "O"]]
    result = score(gold, gold)
    assert (result["correct"], result["support"]) == (2, 2)
    result = score(gold, [["O", "I-PER"], ["I-PER", "I-PER"]])
    assert (result["correct"], result["predicted"], result["support"]) == (1, 2, 2)


def test_bioes_input():
    # gold: B-PER E-PER S-LOC S-LOC -> PER[0,2) LOC[2,3) LOC[3,4)
    # pred: B-PER I-PER S-LOC B-LOC -> PER[0,2) LOC[2,3) LOC[3,4)
    # conlleval ends B-/I- at S- and at the end, so all three match;
    # tokens 1 and 3 differ -> accuracy 2/4.
    result = score([["B-PER", "E-PER", "S-LOC", "S-LOC"]],
                   [["B-PER", "I-PER", "S-LOC", "B-LOC"]])  # fmt: skip
    assert (result["correct"], result["predicted"], result["support"]) == (3, 3, 3)
    assert result["accuracy"] == pytest.approx(2 / 4)


def test_type_only_predicted_and_nothing_at_all():
    # gold has no chunk; pred has MISC[0,1): P = 0/1, R undefined -> 0, F1 0
    result = score([["O", "O"]], [["B-MISC", "O"]])
    assert (result["correct"], result["predicted"], result["support"]) == (0, 1, 0)
    assert (result["precision"], result["recall"], result["f1"]) == (0.0, 0.0, 0.0)
    assert result["per_type"]["MISC"]["support"] == 0
    empty = score([], [])
    assert (empty["f1"], empty["accuracy"], empty["per_type"]) == (0.0, 0.0, {})
    assert format_report(empty) == (
        "processed 0 tokens with 0 phrases; found: 0 phrases; correct: 0.\n"
    )


def test_types_with_hyphens_and_bilou_letters():
    # conlleval's type is everything after the first '-'; L/U read as E/S.
    assert chunks(["B-creative-work", "I-creative-work"]) == [(0, 2, "creative-work")]
    assert chunks(["U-PER", "B-LOC", "L-LOC"]) == [(0, 1, "PER"), (1, 3, "LOC")]


def test_length_mismatch():
    with pytest.raises(ValueError, match="2 gold sentences but 1 predicted"):
        score([["O"], ["O"]], [["O"]])
    with pytest.raises(ValueError, match="sentence 1: 2 gold labels but 1 predicted"):
        score([["O"], ["O", "O"]], [["O"], ["O"]])


# --- properties ---------------------------------------------------------------

TAGS = ["O"] + [f"{p}-{t}" for p in "BIES" for t in ("PER", "LOC", "creative-work")]
sentences = st.lists(st.sampled_from(TAGS), max_size=8)


@given(sentences)
def test_chunks_agree_with_conll_decoding(labels):
    assert chunks(labels) == to_spans(labels)


@given(st.lists(st.tuples(sentences, sentences), max_size=4))
def test_counts_equal_chunk_set_matching(pairs):
    gold = [g[: len(p)] for g, p in pairs]
    pred = [p[: len(g)] for g, p in pairs]
    result = score(gold, pred)
    gold_chunks = {(n, *c) for n, seq in enumerate(gold) for c in chunks(seq)}
    pred_chunks = {(n, *c) for n, seq in enumerate(pred) for c in chunks(seq)}
    assert result["support"] == len(gold_chunks)
    assert result["predicted"] == len(pred_chunks)
    assert result["correct"] == len(gold_chunks & pred_chunks)
    per_type_correct = [row["correct"] for row in result["per_type"].values()]
    assert sum(per_type_correct) == result["correct"]


def test_agrees_with_seqeval():
    # seqeval is in the dev extra: missing, this fails rather than skips
    from seqeval.metrics import sequence_labeling as metrics

    rng = random.Random(13)
    for _ in range(50):
        gold, pred = [], []
        for _ in range(rng.randint(1, 5)):
            n = rng.randint(1, 8)
            gold.append([rng.choice(TAGS) for _ in range(n)])
            pred.append([rng.choice(TAGS) for _ in range(n)])
        result = score(gold, pred)
        assert result["precision"] == pytest.approx(
            metrics.precision_score(gold, pred, zero_division=0)
        )
        assert result["recall"] == pytest.approx(
            metrics.recall_score(gold, pred, zero_division=0)
        )
        assert result["f1"] == pytest.approx(
            metrics.f1_score(gold, pred, zero_division=0)
        )
        assert result["accuracy"] == pytest.approx(metrics.accuracy_score(gold, pred))
        p, r, f, s = metrics.precision_recall_fscore_support(
            gold, pred, average=None, zero_division=0
        )
        rows = result["per_type"]
        assert [rows[k]["support"] for k in rows] == list(s)
        assert [rows[k]["precision"] for k in rows] == pytest.approx(list(p))
        assert [rows[k]["recall"] for k in rows] == pytest.approx(list(r))
        assert [rows[k]["f1"] for k in rows] == pytest.approx(list(f))
