"""Tests for seqcli.conll: reading, writing, tag schemes."""

import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqcli.conll import (
    ConllError,
    Passthrough,
    Sentence,
    format_conll,
    read_conll,
    read_conll_file,
    write_conll,
)
from seqcli.schemes import (
    SCHEMES,
    convert,
    detect_scheme,
    from_spans,
    parse_tag,
    to_spans,
    validate,
)

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"

# CoNLL-2003 layout: token POS chunk NER, IOB1, a document start, blank lines.
CONLL03 = """\
-DOCSTART- -X- O O

EU NNP I-NP I-ORG
rejects VBZ I-VP O
German JJ I-NP I-MISC

Peter NNP I-NP I-PER
Blackburn NNP I-NP I-PER


"""

# WNUT-17 layout: token TAB tag, IOB2, one separator line holding a tab.
WNUT = "@paul\tO\nloves\tO\nNew\tB-location\nYork\tI-location\n\t\nok\tO\n"


def read(text: str, **kwargs):
    return read_conll(io.StringIO(text), source="x.conll", **kwargs)


def write(doc, predictions) -> str:
    out = io.StringIO()
    write_conll(doc, predictions, out)
    return out.getvalue()


# --- reading ---------------------------------------------------------------


def test_read_conll03_layout():
    doc = read(CONLL03)
    assert [s.tokens for s in doc.sentences] == [
        ["EU", "rejects", "German"],
        ["Peter", "Blackburn"],
    ]
    assert doc.sentences[0].labels == ["I-ORG", "O", "I-MISC"]
    assert [s.line_no for s in doc.sentences] == [3, 7]
    assert doc.sentences[1].lines == [
        "Peter NNP I-NP I-PER",
        "Blackburn NNP I-NP I-PER",
    ]
    assert doc.sentences[0].column(1) == ["NNP", "VBZ", "JJ"]
    assert doc.sep == " " and doc.n_columns == 4
    passthrough = [item for item in doc.items if isinstance(item, Passthrough)]
    assert [p.line for p in passthrough] == ["-DOCSTART- -X- O O", "", "", "", ""]
    assert [p.line_no for p in passthrough] == [1, 2, 6, 9, 10]


def test_read_tab_separated_and_tab_only_blank_line():
    doc = read(WNUT)
    assert doc.sep == "\t"
    assert [s.tokens for s in doc.sentences] == [
        ["@paul", "loves", "New", "York"],
        ["ok"],
    ]
    assert doc.sentences[0].labels == ["O", "O", "B-location", "I-location"]


def test_read_other_label_column_and_unlabelled_input():
    doc = read(CONLL03, label_column=2)
    assert doc.sentences[0].labels == ["I-NP", "I-VP", "I-NP"]
    doc = read("a\nb\n\nc\n", label_column=None)
    assert [(s.tokens, s.labels) for s in doc.sentences] == [
        (["a", "b"], []),
        (["c"], []),
    ]


def test_read_normalises_bilou_and_keeps_raw_lines():
    doc = read("a U-PER\nb B-LOC\nc L-LOC\n")
    assert doc.sentences[0].labels == ["S-PER", "B-LOC", "E-LOC"]
    assert doc.sentences[0].lines[0] == "a U-PER"


def test_read_crlf_comments_and_docstart_inside_sentence():
    doc = read("# id 1\r\na O\r\n-DOCSTART- O\r\nb O\r\n", comment_prefix="#")
    assert [type(item).__name__ for item in doc.items] == [
        "Passthrough",
        "Sentence",
        "Passthrough",
        "Sentence",
    ]
    assert doc.items[0].line == "# id 1"
    assert doc.sentences[1].line_no == 4


def test_read_empty_input():
    doc = read("")
    assert doc.items == [] and doc.n_columns == 0


def test_read_conll_file_names_the_file(tmp_path):
    path = tmp_path / "train.conll"
    path.write_text("a O\nb O X\n", encoding="utf-8")
    with pytest.raises(ConllError, match=r"train\.conll:2: expected 2 columns, got 3"):
        read_conll_file(path)
    path.write_text("a O\n", encoding="utf-8")
    assert read_conll_file(path).source == str(path)


# --- reading errors ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("a B I O\nb B I\n", {}, r"^x\.conll:2: expected 4 columns, got 3$"),
        ("a O\n\nb\n", {}, r"^x\.conll:3: expected 2 columns, got 1$"),
        ("a O\n", {"label_column": 2}, r"^x\.conll:1: label column 2 out of range"),
        ("a O\n", {"label_column": -3}, r"^x\.conll:1: label column -3 out of range"),
        ("\na O\n", {"label_column": 0}, r"^x\.conll:2: label column 0 is the token"),
        ("a\n", {}, r"^x\.conll:1: label column -1 is the token"),
        ("a O\nb X-PER\n", {}, r"^x\.conll:2: bad label 'X-PER'"),
        ("a O\n\nb B-\n", {}, r"^x\.conll:3: bad label 'B-'"),
        ("a PER\n", {}, r"^x\.conll:1: bad label 'PER'"),
    ],
)
def test_read_errors_name_file_and_line(text, kwargs, message):
    with pytest.raises(ConllError, match=message) as info:
        read(text, **kwargs)
    assert isinstance(info.value, ValueError)
    assert info.value.source == "x.conll"


# --- writing -----------------------------------------------------------------


def predictions_for(doc) -> list[list[str]]:
    return [[f"P{i}" for i in range(len(s.tokens))] for s in doc.sentences]


@pytest.mark.parametrize("text", [CONLL03, WNUT])
def test_write_round_trip_adds_exactly_one_column(text):
    doc = read(text)
    assert write(doc, None) == text
    lines_in = text.splitlines()
    lines_out = write(doc, predictions_for(doc)).splitlines()
    assert len(lines_out) == len(lines_in)
    for line_in, line_out in zip(lines_in, lines_out, strict=True):
        if not line_in.strip() or line_in.startswith("-DOCSTART-"):
            assert line_out == line_in
        else:
            assert line_out.startswith(line_in + doc.sep)
            assert len(line_out.split()) == len(line_in.split()) + 1


def test_write_predictions_in_place():
    doc = read(CONLL03)
    out = write(doc, [["I-ORG", "O", "B-MISC"], ["B-PER", "I-PER"]])
    assert out.splitlines()[2:5] == [
        "EU NNP I-NP I-ORG I-ORG",
        "rejects VBZ I-VP O O",
        "German JJ I-NP I-MISC B-MISC",
    ]
    tagged = write(read("a\nb\n", label_column=None), [["O", "B-X"]])
    assert tagged == "a O\nb B-X\n"


def test_write_rejects_mismatched_predictions_before_writing():
    doc = read(CONLL03)
    with pytest.raises(ValueError, match="1 predictions for 2 sentences"):
        write(doc, [["O", "O", "O"]])
    out = io.StringIO()
    with pytest.raises(ValueError, match=r"x\.conll:7: 1 predicted labels for 2"):
        write_conll(doc, [["O", "O", "O"], ["O"]], out)
    assert out.getvalue() == ""
    with pytest.raises(ValueError, match="contains blanks"):
        list(format_conll(doc, [["O", "O", "O"], ["O", "B PER"]]))


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


# --- real corpora (skipped where /work/shared is absent) ---------------------------


def real_file(*parts: str) -> Path:
    path = CORPORA.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"{path} not available")
    return path


def test_real_conll2003_train():
    path = real_file("conll2003", "train.txt")
    doc = read_conll_file(path)
    sentences = doc.sentences
    assert len(sentences) == 14_041
    assert sum(len(s.tokens) for s in sentences) == 203_621
    labels = [s.labels for s in sentences]
    assert detect_scheme(labels) == "iob1"
    kinds = [span[2] for seq in labels for span in to_spans(seq)]
    assert len(kinds) == 23_499
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "LOC": 7_140, "MISC": 3_438, "ORG": 6_321, "PER": 6_600,
    }  # fmt: skip
    # The two stray B-MISC after O that the corpus README lists.
    assert sum(len(validate(seq, "iob1")) for seq in labels) == 2
    text = path.read_text(encoding="utf-8")
    assert write(doc, None) == text
    assert isinstance(doc.items[0], Passthrough)
    assert isinstance(doc.items[2], Sentence)


def test_real_wnut17_train():
    path = real_file("wnut17", "train.txt")
    doc = read_conll_file(path)
    sentences = doc.sentences
    assert len(sentences) == 3_394
    assert sum(len(s.tokens) for s in sentences) == 62_730
    assert detect_scheme(s.labels for s in sentences) == "iob2"
    assert sum(len(to_spans(s.labels)) for s in sentences) == 1_975
    assert doc.sep == "\t"
    out = write(doc, [s.labels for s in sentences]).splitlines()
    assert out[0] == "@paulwalk\tO\tO"
