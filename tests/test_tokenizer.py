"""seqcli.tokenizer runs spaCy's tokenizer rules without spaCy: held to spaCy's own
output (the oracle) on real corpora, on tricky strings and on random ones."""

import json
import random
import subprocess
import sys

import pytest

from seqcli.errors import SeqcliError
from seqcli.tokenizer import RuleTokenizer, cached_rules, rules_from_spacy
from seqcli.vocab import WordTokenizer, _spacy_tokenizer


@pytest.fixture(scope="module", params=["en", "de"])
def pair(request):
    spacy = _spacy_tokenizer(request.param)
    return spacy, RuleTokenizer(rules_from_spacy(spacy))


def spacy_pairs(spacy, text):
    return [(t.text, t.idx) for t in spacy(text)]


TRICKY = [
    "",
    " ",
    "  leading and trailing  ",
    "tabs\tand\nnew\n\nlines \t mixed",
    "Mr. Smith (Mr.) isn't here, e.g., at 3 a.m. :) or (:)).",
    'She said "don\'t!" -- and left...',
    "See http://example.com/a?b=1, www.test.org or mail@x.de.",
    "10,000.50 $5 5km 2x3 U.S.A. U.K.'s",
    "Ein Mann z.B. fährt 2,5 km in d. Stadt; geht's?",
    "emoji 😀😀 ¡hola! «quoted» — dash\u00a0nbsp",
    "can't won't shouldn't've y'all ’twas",
    "((nested)) [brackets] {braces} <angle>",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_strings_split_as_spacy_splits_them(pair, text):
    spacy, ours = pair
    assert ours(text) == spacy_pairs(spacy, text)


def test_random_strings_split_as_spacy_splits_them(pair):
    spacy, ours = pair
    rng = random.Random(0)
    alphabet = list("aAzZ09 .,;:!?'\"()[]-/@#%&*+<>_\t\n\u00a0\u2014\u2019é")
    specials = sorted(ours.specials)
    for _ in range(3000):
        parts = [
            rng.choice(alphabet) if rng.random() < 0.7 else rng.choice(specials)
            for _ in range(rng.randint(1, 10))
        ]
        text = "".join(p + " " * (rng.random() < 0.4) for p in parts)
        assert ours(text) == spacy_pairs(spacy, text), repr(text)


def _conll_sentences(path, n):
    sentences, words = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if fields and fields[0] != "-DOCSTART-":
            words.append(fields[0])
        elif words:
            sentences.append(" ".join(words))
            words = []
    return sentences[:n]


def test_real_corpora_split_as_spacy_splits_them(shared_corpora):
    texts = {
        "en": [
            *_conll_sentences(shared_corpora / "conll2003" / "dev.txt", 1500),
            *_conll_sentences(shared_corpora / "wnut17" / "train.txt", 1500),
            *(shared_corpora / "imdb" / "dev.txt").read_text().splitlines()[:300],
            *(shared_corpora / "sst2" / "dev.txt").read_text().splitlines()[:500],
            *(shared_corpora / "multi30k" / "val.en").read_text().splitlines()[:500],
        ],
        "de": (shared_corpora / "multi30k" / "val.de").read_text().splitlines()[:1000],
    }
    for lang, lines in texts.items():
        spacy = _spacy_tokenizer(lang)
        ours = RuleTokenizer(rules_from_spacy(spacy))
        differ = [t for t in lines if ours(t) != spacy_pairs(spacy, t)]
        assert differ == [], f"{lang}: {len(differ)} of {len(lines)} differ"


def test_rules_are_cached_and_read_without_spacy(tmp_path):
    folder = tmp_path / "cache"
    calls = []

    def load(lang):
        calls.append(lang)
        return _spacy_tokenizer(lang)

    first = cached_rules("en", folder, load)
    second = cached_rules("en", folder, load)
    assert calls == ["en"] and first == second
    (cached,) = folder.iterdir()
    assert json.loads(cached.read_text())["spacy"] == first["spacy"]
    # a new process that cannot import spaCy tokenizes from the cache
    code = (
        "import sys; sys.modules['spacy'] = None\n"
        "from pathlib import Path\n"
        "from seqcli.tokenizer import RuleTokenizer, cached_rules\n"
        f"rules = cached_rules('en', Path({str(folder)!r}), None)\n"
        'print([w for w, _ in RuleTokenizer(rules)("It isn\'t (Mr. X).")])\n'
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "['It', 'is', \"n't\", '(', 'Mr.', 'X', ')', '.']"


def test_a_damaged_cache_is_rebuilt(tmp_path):
    cached_rules("en", tmp_path, _spacy_tokenizer)
    (path,) = tmp_path.iterdir()
    path.write_text("{not json")
    rules = cached_rules("en", tmp_path, _spacy_tokenizer)
    assert rules["specials"]["isn't"] == ["is", "n't"]
    assert json.loads(path.read_text()) == rules


def test_an_unwritable_cache_still_tokenizes(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")  # a file where the folder would go
    rules = cached_rules("en", blocker / "cache", _spacy_tokenizer)
    assert [w for w, _ in RuleTokenizer(rules)("Hi!")] == ["Hi", "!"]


def test_word_tokenizer_uses_the_cache_in_the_store(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQCLI_HOME", str(tmp_path))
    text = "Geht's gut? Ja, z.B. heute."
    expected = [t.text for t in _spacy_tokenizer("de")(text)]
    assert WordTokenizer("de").tokens(text) == expected
    assert [p.name.split("-")[0] for p in (tmp_path / ".tokenizers").iterdir()] == [
        "de"
    ]


def test_a_language_that_is_no_file_name_is_a_clear_error(tmp_path):
    with pytest.raises(SeqcliError, match="language"):
        cached_rules("../en", tmp_path, _spacy_tokenizer)
