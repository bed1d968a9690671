"""The char-LM's settings and training defaults (no torch import)."""

from __future__ import annotations

from dataclasses import dataclass

from seqcli.config import CELL_HELP, CELLS, Data, TrainConfig, dev_fraction, setting

DIRECTIONS = ("forward", "backward")
UNITS = ("char", "word", "bpe")  # seqcli.charlm.units


@dataclass
class CharLMConfig:
    vocab_size: int = 0  # set from the corpus
    cell: str = setting("lstm", CELL_HELP, choices=CELLS, absent="lstm")
    embedding: int = setting(64, "Size of each character's embedding.", min=1)
    hidden: int = setting(384, "Units per recurrent layer.", min=1)
    layers: int = setting(2, "Stacked recurrent layers.", min=1)
    # held-out loss after 10 minutes on Tiny Shakespeare: 1.483 at 0.1, 1.496 at 0.3
    dropout: float = setting(
        0.1,
        "Dropout between layers and before the output layer.",
        min=0,
        max=1,
        max_open=True,
    )
    batch_size: int = setting(32, "Parallel character streams in training.", min=1)
    bptt: int = setting(128, "Characters per window of truncated backprop.", min=1)
    direction: str = setting(
        "forward",
        "forward reads text left to right; backward, right to left (a backward "
        "model serves a tagger's --lm context features, not generate).",
        choices=DIRECTIONS,
        absent="forward",
    )
    units: str = setting(
        "char",
        "What the model reads and writes: char (characters), word (spaCy's tokens; "
        "rarer words spelt in characters) or bpe (byte-pair subwords).",
        choices=UNITS,
        absent="char",
    )
    unit_vocab: int = setting(
        10000,
        "word units: the commonest words kept whole; bpe units: the merges learnt.",
        min=1,
        absent=0,
    )
    lang: str = setting("en", "spaCy tokenizer of word and bpe units.", absent="en")


TRAINING = TrainConfig(epochs=20, lr=3e-3, warmup=50, patience=5)

# `seqcli train charlm`: its help and its data (the settings above are its options too)
TRAIN_HELP = """Train a character-level language model (LSTM, GRU, minGRU or Elman RNN)
on text files.

\b
seqcli train charlm book.txt more.txt --name poems --time-budget 600
"""
TRAIN_DATA = (
    Data("paths", many=True, metavar="FILE..."),
    Data("--dev", "Dev text (default: the end of FILE...).", "dev_path", "FILE"),
    dev_fraction(0.05),
)

# generate --beam: never write the same 12 characters twice (bench/results/
# generate.json: beams of 4 and 8 fall into loops without a guard)
NO_REPEAT_NGRAM = 12
