"""The translator's settings, training defaults and decoding defaults (no torch
import)."""

from __future__ import annotations

from dataclasses import dataclass

from seqcli.config import CELL_HELP, CELLS, Data, TrainConfig, dev_fraction, setting
from seqcli.errors import OptionError

# decoding: translating, evaluating and picking checkpoints all use these
BEAM = 5  # beam width
# beam scores are log-probability / length ** this: above 1 favours longer outputs
# a little, which scored best on Multi30k val (beam 5, three models: 36.9, 37.7,
# 37.6 against 36.8, 37.4, 37.4 at 1.0)
LENGTH_PENALTY = 1.4
MAX_LEN_RATIO = 1.5  # the longest translation: this × the source length + 5 tokens
BATCH_SIZE = 128  # sentences decoded together

MAX_SOURCE_TOKENS = 200  # longer inputs are cut (with a warning) to bound memory
MAX_TRAIN_TOKENS = 100  # longer training pairs are left out


@dataclass
class TranslatorConfig:
    src_vocab_size: int = 0  # set from the corpus
    tgt_vocab_size: int = 0  # set from the corpus
    src_lang: str = setting(
        "en", "Source language (a spaCy language code, for the tokenizer)."
    )
    tgt_lang: str = setting("de", "Target language.")
    embedding: int = setting(256, "Size of each word's embedding.", min=1)
    cell: str = setting("lstm", CELL_HELP, choices=CELLS, absent="lstm")
    hidden: int = setting(256, "Recurrent units (per direction in the encoder).", min=1)
    encoder_layers: int = setting(1, "Bidirectional encoder layers.", min=1)
    decoder_layers: int = setting(1, "Decoder layers.", min=1)
    dropout: float = setting(
        0.25,
        "Dropout on embeddings, between layers and before the output.",
        min=0,
        max=1,
        max_open=True,
    )
    word_dropout: float = setting(
        0.0,
        "Chance each training source word reads as <unk>.",
        absent=0.0,
        min=0,
        max=1,
        max_open=True,
    )
    attention: str = setting(
        "luong",
        "Attention score: bilinear (luong) or MLP (bahdanau).",
        choices=("luong", "bahdanau"),
    )
    input_feeding: bool = setting(
        False, "Feed each step's attentional vector to the next (slower training)."
    )
    # as Nematus' conditional GRU; unlike input feeding it still runs over the whole
    # target at once in training
    context_layer: bool = setting(
        False,
        "A second decoder layer reads each step's attention context.",
        absent=False,
    )
    # Nematus' deep output
    deep_output: bool = setting(
        True,
        "The previous word's embedding also feeds the output layer's input.",
        absent=False,
    )
    tie_embeddings: bool = setting(
        True, "The output layer shares the target embedding."
    )
    label_smoothing: float = setting(
        0.1,
        "Label smoothing of the loss (0: plain cross-entropy).",
        min=0,
        max=1,
        max_open=True,
    )
    # on Multi30k as good per epoch as all words, and 1.4× faster per step
    sampled_softmax: int = setting(
        1000,
        "CPU training: the softmax covers each batch's target words and N other "
        "words drawn at random, standing for the rest (0: all words).",
        absent=0,
        min=0,
    )
    batch_size: int = setting(128, "Sentence pairs per step.", min=1)
    min_freq: int = setting(2, "Rarer words (or subword pieces) become <unk>.", min=1)
    max_vocab: int = setting(20000, "Words kept per language.", min=1)
    subwords: int = setting(
        0,
        "Byte-pair merges learnt per language: rare words become pieces (0: words).",
        min=0,
    )
    rare_subwords: int = setting(
        0,
        "Byte-pair merges learnt from the words rarer than --min-freq only: those "
        "words are spelt in pieces, the rest stay whole (0: rare words become <unk>).",
        min=0,
    )


TRAINING = TrainConfig(epochs=30, lr=4e-3, warmup=100, patience=5, ema=0.999)

# `seqcli train translator`: its help and its data (the settings above are its options)
TRAIN_HELP = """Train a recurrent encoder-decoder with attention on parallel text (LSTM,
GRU, minGRU or Elman RNN: --cell).

Give the training data as --src and --tgt (line i of one translates line i of
the other) or as --pairs; the dev data likewise. Dev BLEU picks the checkpoint.

\b
seqcli train translator --src train.en --tgt train.de --dev-src val.en \\
    --dev-tgt val.de --src-lang en --tgt-lang de --name en-de --time-budget 1800
"""
TRAIN_DATA = (
    Data("--src", "Source sentences, one per line.", metavar="FILE"),
    Data("--tgt", "Their translations, line by line.", metavar="FILE"),
    Data("--pairs", "Instead of --src/--tgt: source<TAB>target lines.", metavar="FILE"),
    Data("--dev-src", "Dev source sentences.", metavar="FILE"),
    Data("--dev-tgt", "Dev reference translations.", metavar="FILE"),
    Data("--dev-pairs", "Dev source<TAB>target lines.", metavar="FILE"),
    Data(
        "--dev-beam",
        "Beam width of the dev translations that pick the checkpoint (1: greedy, "
        "faster).",
        default=BEAM,
        type="positive",
    ),
    dev_fraction(0.05),
    Data(
        "--src-vectors",
        "Word vectors (GloVe or word2vec text, .gz allowed) to start the source "
        "embeddings from, looked up lower-cased.",
        type="file",
    ),
)


def check_data(src, tgt, pairs, dev_src, dev_tgt, dev_pairs, **_) -> None:
    """The training and dev data given one way each."""
    if pairs and (src or tgt):
        raise OptionError("give --src and --tgt, or --pairs, not both")
    if not pairs and not (src and tgt):
        raise OptionError("give the training data: --src and --tgt, or --pairs")
    if dev_pairs and (dev_src or dev_tgt):
        raise OptionError("give --dev-src and --dev-tgt, or --dev-pairs")
    if bool(dev_src) != bool(dev_tgt):
        raise OptionError("--dev-src and --dev-tgt go together")
