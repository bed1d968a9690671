"""The tagger's settings and training defaults (no torch import)."""

from __future__ import annotations

from dataclasses import dataclass

from seqcli.config import (
    CELL_HELP,
    CELLS,
    Data,
    TrainConfig,
    dev_fraction,
    setting,
    vectors,
)
from seqcli.tagger.schemes import SCHEMES

BATCH_SIZE = 64  # sentences per forward pass when tagging
EVAL_BATCH_SIZE = 128  # and when scoring (eval, dev evaluation in training)


@dataclass
class TaggerConfig:
    word_vocab_size: int = 0  # set from the corpus (and --vectors)
    char_vocab_size: int = 0  # set from the corpus
    num_tags: int = 0  # set from the labels and the scheme
    lang: str = setting("en", "spaCy tokenizer the model uses for plain text.")
    scheme: str = setting(
        "bioes",
        "Tag scheme the CRF learns (input and output keep the data's scheme).",
        choices=SCHEMES,
    )
    # lower: fewer, better-trained rows, and GloVe is lower-cased
    case: str = setting(
        "lower",
        "lower: lower-cased words plus a capitalisation feature; cased: as written.",
        choices=("lower", "cased"),
    )
    embedding: int = setting(
        100, "Size of word embeddings (with --vectors: theirs).", min=1
    )
    caps_embedding: int = 10  # size of the capitalisation feature (case=lower)
    char_embedding: int = setting(30, "Size of character embeddings.", min=1)
    char_filters: int = setting(
        50, "Char-CNN filters of width 3 (spelling features).", min=1
    )
    cell: str = setting("lstm", CELL_HELP, choices=CELLS, absent="lstm")
    hidden: int = setting(128, "Recurrent units per direction.", min=1)
    layers: int = setting(1, "Stacked bidirectional layers.", min=1)
    dropout: float = setting(
        0.5, "Dropout on features and recurrent output.", min=0, max=0.9
    )
    word_dropout: float = setting(
        0.3, "Chance a training word seen once reads as unknown.", min=0, max=1
    )
    batch_size: int = setting(32, "Sentences per step.", min=1)
    # text typed without capitals (Mayhew et al. 2019: train on both)
    lower_copies: bool = setting(
        False,
        "Train on a lower-cased copy of each training sentence too, for text typed "
        "without capitals.",
        absent=False,
    )
    # a sentence in one case tells nothing by its capitals; with its own class the
    # model keeps what capitals tell in cased text (see seqcli.tagger.data)
    caseless: bool = setting(
        False,
        "Read a sentence in one case (no capitals, or no small letters) lower-cased, "
        "its words in a capitalisation class of their own (meant with --lower-copies).",
        absent=False,
    )
    # set by --case-text: each word's capitalised share in running text is read too
    # (seqcli.tagger.capitals)
    capital_prior: bool = False


# patience 100: the cosine schedule runs to its end (early stopping cut it while the
# rate was high); over three seeds on WNUT-17 with context char-LMs, dev F1 +1.0 and
# check-slice F1 +5.3 against patience 8, and nothing lost on CoNLL-2003
# (docs/tagger.md)
TRAINING = TrainConfig(epochs=50, lr=2e-3, warmup=100, patience=100, clip=5.0)

# `seqcli train tagger`: its help and its data (the settings above are its options too)
TRAIN_HELP = """Train a BiLSTM-CRF named-entity tagger on CoNLL data (IOB1, IOB2 or
BIOES); --cell gru, mingru or rnn replaces the LSTM.

The best checkpoint by dev entity F1 (conlleval) is kept.

\b
seqcli train tagger train.conll --dev dev.conll --name ner --time-budget 1800
"""
TRAIN_DATA = (
    Data("path", metavar="TRAIN.conll"),
    Data(
        "--dev",
        "Dev CoNLL (default: a seeded random --dev-fraction of TRAIN's sentences).",
        "dev_path",
        "FILE",
    ),
    dev_fraction(0.1),
    Data(
        "--label-column",
        "Column of the gold labels, from 0 (negative counts from the end).",
        default=-1,
        type="int",
    ),
    *vectors(vector_words=50_000),
    Data(
        "--lm",
        "A char-LM of the store whose states become context features (repeat: one "
        "forward and one backward, see `train charlm --direction`).",
        "lms",
        "NAME",
        many=True,
    ),
    Data(
        "--case-text",
        "Cased running text (one document or sentence a line) from which the tagger "
        "learns how often each word is written with a capital, a hint that stays "
        "in text typed without capitals.",
        "case_text",
        "FILE",
        type="file",
    ),
)
