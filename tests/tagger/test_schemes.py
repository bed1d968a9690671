"""Tests for seqcli.tagger.schemes: IOB1/IOB2/BIOES tags, spans, conversion, checks and
the CRF's transition constraints."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqcli.tagger.schemes import (
    SCHEMES,
    convert,
    detect_scheme,
    from_spans,
    parse_tag,
    to_spans,
    transition_constraints,
    validate,
)

# --- tags and spans ------------------------------------------------------------


def test_parse_tag():
    assert parse_tag("O") == ("O", "")
    assert parse_tag("B-creative-work") == ("B", "creative-work")
    assert parse_tag("L-PER") == ("E", "PER")
    assert parse_tag("U-PER") == ("S", "PER")
    for bad in ("PER", "B-", "X-PER", "o", ""):
        with pytest.raises(ValueError):
            parse_tag(bad)


@pytest.mark.parametrize(
    ("labels", "spans"),
    [
        # IOB1: B- only between adjacent same-type entities.
        ("I-PER I-PER B-PER O I-LOC", [(0, 2, "PER"), (2, 3, "PER"), (4, 5, "LOC")]),
        # IOB2, adjacent entities of different types.
        ("B-PER I-PER B-LOC I-LOC", [(0, 2, "PER"), (2, 4, "LOC")]),
        # Repairs: I- after O, or after another type, starts an entity.
        ("O I-PER I-LOC I-LOC", [(1, 2, "PER"), (2, 4, "LOC")]),
        # BIOES, and a type change inside an entity.
        (
            "S-PER B-LOC I-LOC E-LOC S-LOC",
            [(0, 1, "PER"), (1, 4, "LOC"), (4, 5, "LOC")],
        ),
        # BIOES repairs: B without E ends at O; E after E, I after E start anew.
        (
            "B-PER O E-PER E-PER I-PER",
            [(0, 1, "PER"), (2, 3, "PER"), (3, 4, "PER"), (4, 5, "PER")],
        ),
        ("", []),
    ],
)
def test_to_spans(labels, spans):
    labels = labels.split()
    assert to_spans(labels) == spans
    for scheme in SCHEMES:
        assert to_spans(labels, scheme) == spans


def test_from_spans_each_scheme():
    spans = [(0, 2, "PER"), (2, 3, "PER"), (4, 5, "LOC"), (5, 7, "PER")]
    assert from_spans(spans, 8, "iob1") == [
        "I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-PER", "I-PER", "O",
    ]  # fmt: skip
    assert from_spans(spans, 8, "iob2") == [
        "B-PER", "I-PER", "B-PER", "O", "B-LOC", "B-PER", "I-PER", "O",
    ]  # fmt: skip
    assert from_spans(spans, 8, "bioes") == [
        "B-PER", "E-PER", "S-PER", "O", "S-LOC", "B-PER", "E-PER", "O",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "spans",
    [
        [(0, 0, "X")],
        [(0, 2, "X"), (1, 3, "Y")],
        [(2, 5, "X")],
        [(0, 1, "")],
        [(-1, 1, "X")],
    ],
)
def test_from_spans_rejects_bad_spans(spans):
    with pytest.raises(ValueError, match="bad span"):
        from_spans(spans, 4, "iob2")


def test_unknown_scheme():
    with pytest.raises(ValueError, match="unknown tag scheme 'bilou'"):
        convert(["O"], "iob2", "bilou")


def test_convert_examples():
    iob1 = ["I-PER", "I-PER", "B-PER", "O", "I-LOC"]
    iob2 = ["B-PER", "I-PER", "B-PER", "O", "B-LOC"]
    bioes = ["B-PER", "E-PER", "S-PER", "O", "S-LOC"]
    assert convert(iob1, "iob1", "iob2") == iob2
    assert convert(iob2, "iob2", "bioes") == bioes
    assert convert(bioes, "bioes", "iob1") == iob1
    # A repaired sequence comes out in canonical form.
    assert convert(["O", "I-PER"], "iob2", "iob2") == ["O", "B-PER"]


def test_validate_messages():
    assert validate(["B-PER", "I-PER", "O"], "iob2") == []
    assert validate(["O", "I-PER"], "iob2") == [
        "token 2: I-PER after O starts an entity"
    ]
    assert validate(["I-PER", "B-PER", "O", "B-LOC"], "iob1") == [
        "token 4: B-LOC after O (iob1 wants I-LOC)"
    ]
    assert validate(["S-PER"], "iob2") == ["token 1: S-PER is not used in iob2"]
    assert validate(["B-PER", "O", "I-LOC", "E-LOC"], "bioes") == [
        "token 1: B-PER is not closed by E-",
        "token 3: I-LOC after O starts an entity",
    ]
    assert validate(["B-PER", "I-PER"], "bioes") == [
        "token 2: I-PER is not closed by E-"
    ]
    assert validate(["O", "PER"], "iob2") == ["token 2: 'PER' is not a tag"]


def test_detect_scheme():
    assert detect_scheme([["I-PER", "O"], ["O", "I-LOC", "B-LOC"]]) == "iob1"
    assert detect_scheme([["B-PER", "I-PER", "B-PER"]]) == "iob2"
    assert detect_scheme([["B-PER", "E-PER"], ["O"]]) == "bioes"
    assert detect_scheme([["U-PER"]]) == "bioes"
    assert detect_scheme([["O", "O"], []]) == "iob2"
    assert detect_scheme([]) == "iob2"
    # Mostly IOB1 with a stray B- after O (as CoNLL-2003 train has twice).
    assert detect_scheme([["I-PER", "O", "I-LOC", "O", "B-MISC"]]) == "iob1"
    # Mostly IOB2 with one I- after O.
    assert detect_scheme([["B-PER", "O", "B-LOC", "O", "I-MISC"]]) == "iob2"


# --- property tests --------------------------------------------------------------

TYPES = st.sampled_from(["PER", "LOC", "creative-work"])


@st.composite
def span_sets(draw):
    """Sorted non-overlapping spans (adjacent ones included) and a length."""
    pieces = draw(
        st.lists(st.tuples(st.integers(0, 2), st.integers(1, 3), TYPES), max_size=6)
    )
    spans, pos = [], 0
    for gap, size, kind in pieces:
        spans.append((pos + gap, pos + gap + size, kind))
        pos += gap + size
    return spans, pos + draw(st.integers(0, 2))


label_seqs = st.lists(
    st.one_of(
        st.just("O"),
        st.builds(lambda p, t: f"{p}-{t}", st.sampled_from("BIES"), TYPES),
    ),
    max_size=10,
)


@given(span_sets())
def test_spans_round_trip_in_every_scheme(case):
    spans, length = case
    for scheme in SCHEMES:
        labels = from_spans(spans, length, scheme)
        assert len(labels) == length
        assert to_spans(labels, scheme) == spans
        assert validate(labels, scheme) == []


@given(span_sets())
def test_convert_there_and_back_is_identity(case):
    spans, length = case
    for a in SCHEMES:
        labels = from_spans(spans, length, a)
        for b in SCHEMES:
            assert convert(convert(labels, a, b), b, a) == labels


@given(label_seqs)
def test_validate_accepts_exactly_the_canonical_sequences(labels):
    spans = to_spans(labels)
    for scheme in SCHEMES:
        canonical = from_spans(spans, len(labels), scheme)
        assert (validate(labels, scheme) == []) == (canonical == labels)
        # Repair never changes the entities.
        assert to_spans(canonical) == spans


# --- CRF transition constraints ---


class TestTransitionConstraints:
    def test_iob2(self):
        labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
        allowed, start, end = transition_constraints(labels, "iob2")
        assert start.tolist() == [True, True, False, True, False]
        assert end.all()
        assert allowed.tolist() == [
            # to: O     B-PER  I-PER  B-LOC  I-LOC
            [True, True, False, True, False],  # from O
            [True, True, True, True, False],  # from B-PER
            [True, True, True, True, False],  # from I-PER
            [True, True, False, True, True],  # from B-LOC
            [True, True, False, True, True],  # from I-LOC
        ]

    def test_iob1(self):
        labels = ["O", "I-PER", "B-PER", "I-LOC"]
        allowed, start, end = transition_constraints(labels, "iob1")
        assert start.tolist() == [True, True, False, True]
        assert end.all()
        assert allowed.tolist() == [
            # to: O     I-PER  B-PER  I-LOC
            [True, True, False, True],  # from O
            [True, True, True, True],  # from I-PER
            [True, True, True, True],  # from B-PER
            [True, True, False, True],  # from I-LOC
        ]

    def test_bioes(self):
        labels = ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "E-LOC"]
        allowed, start, end = transition_constraints(labels, "BIOES")
        assert start.tolist() == [True, True, False, False, True, True, False]
        assert end.tolist() == [True, False, False, True, True, False, True]
        out_of_entity = [True, True, False, False, True, True, False]
        assert allowed.tolist() == [
            # to: O  B-PER  I-PER  E-PER  S-PER  B-LOC  E-LOC
            out_of_entity,  # from O
            [False, False, True, True, False, False, False],  # from B-PER
            [False, False, True, True, False, False, False],  # from I-PER
            out_of_entity,  # from E-PER
            out_of_entity,  # from S-PER
            [False, False, False, False, False, False, True],  # from B-LOC
            out_of_entity,  # from E-LOC
        ]

    @pytest.mark.parametrize(
        "label,scheme",
        [("E-PER", "iob2"), ("S-LOC", "iob1"), ("PER", "bioes"), ("B-", "iob2")],
    )
    def test_bad_label(self, label, scheme):
        with pytest.raises(ValueError, match=f"label '{label}' is not valid"):
            transition_constraints(["O", label], scheme)

    def test_unknown_scheme(self):
        with pytest.raises(ValueError, match="unknown scheme 'bilou'"):
            transition_constraints(["O"], "bilou")
