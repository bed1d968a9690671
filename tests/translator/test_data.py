"""seqcli.translator.data: glued tokens and detokenizing, parallel files, the Codec
between text and ids (unknown words, rare-word subwords) and the vocabulary."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqcli.errors import SeqcliError
from seqcli.subwords import Subwords
from seqcli.translator.config import TranslatorConfig
from seqcli.translator.data import detokenize, glue_tokens, read_parallel
from seqcli.vocab import Vocab, WordTokenizer

# tiny models run fastest on one thread without oneDNN (see test_search.py)
pytestmark = pytest.mark.usefixtures("one_thread", "no_onednn")


# --- tokens and text ---

GERMAN = WordTokenizer("de")
ENGLISH = WordTokenizer("en")


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("Ein Mann am Strand.", ["Ein", "Mann", "am", "Strand", "##."]),
        ('Er sagt "Hallo"!', ["Er", "sagt", '"##', "Hallo", '##"', "##!"]),
        ("Kinder (zwei) im T-Shirt", ["Kinder", "(##", "zwei", "##)", "im", "T-Shirt"]),
    ],
)
def test_glue_marks_the_side_without_a_space(text, tokens):
    assert glue_tokens(GERMAN(text)) == tokens
    assert detokenize(tokens) == text


def test_english_clitics_and_hyphens_are_rejoined():
    text = "A man's T-shirt, isn't it?"
    tokens = glue_tokens(ENGLISH(text))
    assert "##'s" in tokens and "##-##" in tokens
    assert detokenize(tokens) == text


# "#" is left out: a token that starts or ends with "##", as "Mann##" in "Mann##.."
# or "###" for a "#" glued to "Mann", reads as glued (see seqcli.translator.data.GLUE)
PIECES = ["Mann", "ein", "T", "-", ".", ",", "(", ")", '"', "'s", "3", "?", "!"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PIECES), st.booleans()), max_size=12))
def test_detokenize_undoes_glued_tokenization(pieces):
    text = "".join(p + (" " if space else "") for p, space in pieces).strip()
    assert detokenize(glue_tokens(GERMAN(text))) == text


def test_detokenize_spacing_rules():
    assert detokenize([]) == ""
    assert detokenize(["##.", "a"]) == ". a"
    assert detokenize(["a", "##", "b"]) == "a ## b"  # a bare marker is a word


# --- the Codec and the vocabulary ---


def test_unknown_output_words_copy_only_unknown_source_words():
    from seqcli.search import Hypothesis
    from seqcli.translator.data import Codec
    from seqcli.vocab import Vocab

    vocabs = {"src": Vocab(["Anna", "rides", "."]), "tgt": Vocab(["reitet", "##."])}
    codec = Codec(
        {
            "config": {"src_lang": "en"},
            "vocabs": {k: v.to_dict() for k, v in vocabs.items()},
        }
    )
    unk, rides, stop = Vocab.unk_index, *vocabs["tgt"].encode(["reitet", "##."])
    # "<unk> reitet ." with the <unk> attending to source word 0, "Zorro"
    hyp = Hypothesis([unk, rides, stop], -1.0, -0.25, [0, 1, 2])
    source = ["Zorro", "rides", "."]
    assert codec.text(hyp, source) == "Zorro reitet."
    assert codec.text(hyp, source, replace_unk=False) == "<unk> reitet."
    # an <unk> attending to a known word ("rides") or to the period is left out
    for pos in (1, 2):
        hyp = Hypothesis([rides, unk, stop], -1.0, -0.25, [1, pos, 2])
        assert codec.text(hyp, source) == "reitet."
        assert codec.text(hyp, source, replace_unk=False) == "reitet <unk>."


def test_an_unknown_source_word_is_copied_at_most_once():
    from seqcli.search import Hypothesis
    from seqcli.translator.data import Codec

    vocabs = {"src": Vocab(["rides", "."]), "tgt": Vocab(["reitet", "##."])}
    codec = Codec(
        {
            "config": {"src_lang": "en"},
            "vocabs": {k: v.to_dict() for k, v in vocabs.items()},
        }
    )
    unk, rides, stop = Vocab.unk_index, *vocabs["tgt"].encode(["reitet", "##."])
    # a decoder stuck on "Zorro": 500 <unk> attending to it, then one to "Anna"
    hyp = Hypothesis(
        [unk] * 500 + [unk, rides, stop], -1.0, -0.1, [0] * 500 + [3, 1, 2]
    )
    source = ["Zorro", "rides", ".", "Anna"]
    assert codec.text(hyp, source) == "Zorro Anna reitet."


def test_unknown_source_words_are_read_lower_cased_when_that_form_is_known():
    from seqcli.search import Hypothesis
    from seqcli.translator.data import Codec

    src, tgt = Vocab(["beads", "are", "red", "."]), Vocab(["Perlen", "##."])
    codec = Codec(
        {
            "config": {"src_lang": "en"},
            "vocabs": {"src": src.to_dict(), "tgt": tgt.to_dict()},
        }
    )
    tokens, ids = codec.sources(["Beads are red.", "RED Zorro"])
    assert tokens == [["Beads", "are", "red", "."], ["RED", "Zorro"]]
    assert ids == [src.encode(["beads", "are", "red", "."]), [*src.encode(["red"]), 1]]
    # "Beads" is known (as "beads"), so an <unk> attending to it is left out, while
    # one attending to "Zorro" copies it
    unk, stop = Vocab.unk_index, tgt.encode(["##."])[0]
    assert codec.text(Hypothesis([unk, stop], -1.0, -0.5, [0, 3]), tokens[0]) == "."
    assert codec.text(Hypothesis([unk], -1.0, -1.0, [1]), tokens[1]) == "Zorro"


def test_rare_subwords_spell_only_the_rare_words_in_shared_pieces():
    from seqcli.translator.data import Codec, vocabulary

    # every word but "Der" and "läuft" is seen once: "Fußball" and "spieler" are
    # each shared by two of those rare words, so they become pieces
    sentences = [
        ["Der", "Fußballspieler", "läuft"],
        ["Der", "Fußballplatz", "ist", "leer"],
        ["Der", "Tennisspieler", "läuft"],
    ]
    plain, none = vocabulary(sentences, TranslatorConfig())
    assert none is None and plain.itos[4:] == ["Der", "läuft"]
    vocab, subwords = vocabulary(sentences, TranslatorConfig(rare_subwords=50))
    assert {"Der", "läuft", "Fußball", "@@spieler"} <= set(vocab.itos)
    assert not {"Fußballspieler", "Tennisspieler", "leer"} & set(vocab.itos)
    codec = Codec(
        {
            "config": {"src_lang": "en", "tgt_lang": "de", "rare_subwords": 50},
            "vocabs": {"src": vocab.to_dict(), "tgt": vocab.to_dict()},
            "subwords": {"src": subwords.to_dict(), "tgt": subwords.to_dict()},
        }
    )
    units = codec.units("tgt", ["Der", "Tennisspieler", "läuft"])
    assert units[0] == "Der" and units[-2:] == ["@@spieler", "läuft"]
    assert Subwords.join(units) == ["Der", "Tennisspieler", "läuft"]
    # a word never seen is spelt from the pieces too (letter by letter at worst)
    units = codec.units("tgt", ["Handballspieler"])
    assert units[-1] == "@@spieler" and Subwords.join(units) == ["Handballspieler"]
    ids = vocab.encode(codec.units("tgt", ["Der", "Fußballspieler"]))
    assert Vocab.unk_index not in ids and len(ids) == 3


# --- parallel files ---


def test_line_count_mismatch_names_both_counts(tmp_path):
    (tmp_path / "a.en").write_text("one\ntwo\nthree\n")
    (tmp_path / "a.de").write_text("eins\nzwei\n")
    with pytest.raises(SeqcliError, match=r"a\.en has 3 lines but .*a\.de has 2"):
        read_parallel(str(tmp_path / "a.en"), str(tmp_path / "a.de"), None)


def test_pairs_file_needs_one_tab_per_line(tmp_path):
    path = tmp_path / "p.tsv"
    path.write_text("a man\tein Mann\n\nno tab here\n")
    with pytest.raises(SeqcliError, match=r"p\.tsv line 3: expected source<TAB>"):
        read_parallel(None, None, str(path))
    path.write_text("a man\tein Mann\n\na dog\tein Hund\n")
    assert read_parallel(None, None, str(path)) == (
        ["a man", "", "a dog"],
        ["ein Mann", "", "ein Hund"],
    )
