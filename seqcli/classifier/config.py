"""The classifier's settings and training defaults (no torch import)."""

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
from seqcli.errors import OptionError

BATCH_SIZE = 64  # texts per forward pass when classifying
EVAL_BATCH_SIZE = 128  # and when scoring (eval, dev evaluation in training)


@dataclass
class ClassifierConfig:
    vocab_size: int = 0  # set from the corpus (and --vectors)
    num_classes: int = 0  # set from the labels
    lang: str = setting("en", "spaCy tokenizer the model uses.")
    cell: str = setting("lstm", CELL_HELP, choices=CELLS)
    embedding: int = setting(
        100, "Size of word embeddings (with --vectors: theirs).", min=1
    )
    hidden: int = setting(
        128, "Units per direction of the bidirectional encoder.", min=1
    )
    layers: int = setting(1, "Stacked bidirectional layers.", min=1)
    # SST-2 dev accuracy after 90 s of training (GloVe 50d, one run each): attention
    # 84.2, max 83.1, mean 82.9
    pooling: str = setting(
        "attention",
        "How the encoder's states over the text become one vector: max, mean, or "
        "attention (a learnt weighting of the states).",
        choices=("max", "mean", "attention"),
    )
    dropout: float = setting(
        0.4, "Dropout on embeddings and on the pooled vector.", min=0, max=0.9
    )
    # long documents keep their first and last max_tokens / 2 tokens: reviews tend to
    # open and close with the verdict, and memory stays bounded. 200 against 400
    # (bench/README.md): IMDB dev 92.68 and 92.28 against 92.60 and 92.24 over two
    # seeds, IMDB + SST-2 a tie too, in a third to a half of the training time
    max_tokens: int = setting(
        200,
        "Longest text trained on, in tokens (a longer one keeps its start and end).",
        min=2,
    )
    # classifying, more of a long review is worth reading than training needs:
    # bench/read_tokens.py, +0.48 on IMDB dev for sentiment-en at 800 against 400
    read_tokens: int = setting(
        800,
        "Longest text read when classifying and on dev, in tokens (the same way).",
        min=2,
    )
    # bench/ngram_ensemble.py: NB-LR's scores added to sentiment-en's, +1.6 on IMDB
    # dev and SST-2 unchanged; seqcli.classifier.ngrams
    ngrams: bool = setting(
        True,
        "Add a bag of word n-grams (NB-LR, fitted once the network is trained) to "
        "the network's scores.",
        absent=False,
    )
    ngram_buckets: int = setting(
        1 << 20, "Rows the bag's bigrams and trigrams are hashed into.", min=1
    )
    # bench/README.md, "Which features the bag should read": with trigrams, the
    # n-grams of one training text left out and rows checked by fingerprint,
    # imdb-lm's IMDB dev 91.72 -> 92.00; with spelled words too, 92.44
    ngram_order: int = setting(
        3, "The bag's longest n-grams, in words.", min=1, max=5, absent=2
    )
    # digits are 0 to the network: "8/10" and "1/10" are one word to it
    ngram_spelled: bool = setting(
        True,
        "The bag tells apart words the network reads as one: numbers (8/10 from "
        "1/10) and the words outside its vocabulary.",
        absent=False,
    )
    ngram_min_texts: int = setting(
        2,
        "The bag keeps n-grams found in at least this many training texts.",
        min=1,
        absent=0,
    )
    # Miyato et al. 2017's 5 (for embeddings of unit variance). bench/README.md,
    # two seeds: SST-2 dev 87.73 and 87.96 against 87.39 and 84.86 without, IMDB
    # 92.68 and 92.76 against 92.56 and 92.28; two and a half times the step's cost
    adversarial: float = setting(
        5.0,
        "Train on each text's embedded words moved this far (in the embeddings' "
        "standard deviations) the way that raises the loss most, besides the text "
        "itself; 0: off.",
        min=0,
        absent=0.0,
    )
    min_freq: int = setting(
        2, "Rarer words become <unk> (unless --vectors has them).", min=1
    )
    max_vocab: int = setting(
        50000, "Words kept, commonest first (with --lm, of the encoder's).", min=1
    )
    batch_size: int = setting(32, "Texts per step.", min=1)
    class_weights: str = setting(
        "none",
        "balanced: weight each class's loss by the inverse of its frequency.",
        choices=("none", "balanced"),
    )
    metric: str = setting(
        "accuracy",
        "The dev metric that picks the checkpoint.",
        choices=("accuracy", "macro_f1"),
    )


TRAINING = TrainConfig(epochs=10, lr=2e-3, warmup=100, patience=3, clip=5.0)

# `seqcli train classifier`: its help and its data (the settings above are its options)
TRAIN_HELP = """Train a recurrent text classifier (sentiment, topics...) on labelled
lines.

TRAIN holds one text per line, as label<TAB>text or as fastText's
"__label__LABEL text". The best checkpoint by dev accuracy (or --metric
macro_f1) is kept.

\b
seqcli train classifier train.tsv --dev dev.tsv --name sentiment \\
    --vectors glove.6B.50d.txt.gz --time-budget 1200

With --pretrain, TRAIN holds unlabelled text, one text per line, and the
model is an encoder pretrained as a forward and backward word language model;
a classifier trained with --lm NAME starts from it (its vocabulary, word
embeddings and encoder):

\b
seqcli train classifier reviews.txt --pretrain --name reviews-lm \\
    --vectors vectors.txt --time-budget 3600 --eval-every 500
seqcli train classifier train.tsv --dev dev.tsv --lm reviews-lm --name sentiment
"""
TRAIN_DATA = (
    Data("path", metavar="TRAIN"),
    Data(
        "--dev",
        "Dev lines (default: a seeded random --dev-fraction of TRAIN).",
        "dev_path",
        "FILE",
    ),
    dev_fraction(0.1),
    *vectors(vector_words=0),
    Data(
        "--pretrain",
        "Pretrain an encoder on TRAIN's text (one text per line) instead.",
        type="flag",
    ),
    Data(
        "--lm",
        "A pretrained encoder of the store (--pretrain) to start from: its "
        "vocabulary (up to --max-vocab), embeddings, cell and sizes are the "
        "classifier's.",
        metavar="NAME",
    ),
)


def check_data(*, pretrain: bool = False, lm: str | None = None, **_) -> None:
    if pretrain and lm:
        raise OptionError(
            "--pretrain trains an encoder, --lm starts from one: give one"
        )
