"""Tests for seqcli.tagger.conll: reading (and its errors) and writing CoNLL files, and
the real corpora where they are present."""

import io
from pathlib import Path

import pytest

from seqcli.tagger.conll import (
    ConllError,
    Passthrough,
    Sentence,
    format_conll,
    read_conll,
    read_conll_file,
    write_conll,
)
from seqcli.tagger.schemes import detect_scheme, to_spans, validate

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"

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
