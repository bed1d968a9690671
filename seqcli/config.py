"""Model settings and training defaults of each kind, kept free of torch so that the
command line can show them without importing it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CharLMConfig:
    vocab_size: int = 0  # set from the corpus
    embedding: int = 64  # size of each character's embedding
    hidden: int = 384  # LSTM units per layer
    layers: int = 2  # stacked LSTM layers
    dropout: float = 0.3  # between layers and before the output layer
    batch_size: int = 32  # parallel character streams in training
    bptt: int = 128  # characters per window of truncated backpropagation


@dataclass
class TranslatorConfig:
    src_vocab_size: int = 0  # set from the corpus
    tgt_vocab_size: int = 0  # set from the corpus
    src_lang: str = "en"  # spaCy tokenizer of the source language
    tgt_lang: str = "de"  # spaCy tokenizer of the target language
    embedding: int = 256  # size of each word's embedding
    hidden: int = 256  # LSTM units (per direction in the encoder)
    encoder_layers: int = 1  # stacked bidirectional LSTM layers
    decoder_layers: int = 1  # stacked LSTM layers in the decoder
    dropout: float = 0.25  # on embeddings, between layers and before the output
    word_dropout: float = 0.0  # chance each training source word reads as <unk>
    attention: str = "luong"  # luong (bilinear) | bahdanau (MLP) scores
    input_feeding: bool = False  # feed the last attentional vector to the next step
    # a second decoder LSTM reads each step's attention context (as Nematus' conditional
    # GRU does), so that later steps know what was attended; unlike input feeding it
    # still runs over the whole target at once in training
    context_layer: bool = False
    # the previous word's embedding also feeds the attentional vector (Nematus' deep
    # output), besides the attention context and the decoder's output
    deep_output: bool = True
    tie_embeddings: bool = True  # output layer shares the target embedding
    label_smoothing: float = 0.1  # 0 = plain cross-entropy
    # CPU training: the output layer's softmax covers each batch's target words and
    # this many other words drawn at random, which stand for the rest (0: all words);
    # on Multi30k as good per epoch as all words, and 1.4× faster per step
    sampled_softmax: int = 1000
    batch_size: int = 128  # sentence pairs per step
    min_freq: int = 2  # rarer words (or subword pieces) become <unk>
    max_vocab: int = 20000  # most frequent words kept per language
    subwords: int = 0  # byte-pair merges learnt per language; 0 = whole words
    # byte-pair merges learnt from the words rarer than min_freq only: those words are
    # spelt in pieces, the others stay whole (0: rare words become <unk>)
    rare_subwords: int = 0


@dataclass
class TaggerConfig:
    word_vocab_size: int = 0  # set from the corpus (and --vectors)
    char_vocab_size: int = 0  # set from the corpus
    num_tags: int = 0  # set from the labels and the scheme
    lang: str = "en"  # spaCy tokenizer for plain-text input
    scheme: str = "bioes"  # tags the CRF learns: bioes | iob2 | iob1
    # lower: lower-cased word lookup plus a capitalisation feature (GloVe is
    # lower-cased; fewer, better-trained rows); cased: the word as written
    case: str = "lower"
    embedding: int = 100  # size of each word's embedding (--vectors: theirs)
    caps_embedding: int = 10  # size of the capitalisation feature (case=lower)
    char_embedding: int = 30  # size of each character's embedding
    char_filters: int = 50  # char CNN filters (width 3): each word's spelling
    hidden: int = 128  # BiLSTM units per direction
    layers: int = 1  # stacked BiLSTM layers
    dropout: float = 0.5  # on word features and on the BiLSTM output
    word_dropout: float = 0.3  # chance a training word seen once reads as <unk>
    batch_size: int = 32  # sentences per step


BEAM = 5  # the translator's beam width: translating, evaluating, picking checkpoints

# the translator's beam scores are log-probability / length ** this: above 1 favours
# longer outputs a little, which scored best on Multi30k val (beam 5, three models:
# 36.9, 37.7, 37.6 against 36.8, 37.4, 37.4 at 1.0)
LENGTH_PENALTY = 1.4

# the training loop's defaults per kind (see seqcli.train.TrainConfig)
TRAIN_DEFAULTS = {
    "charlm": {"epochs": 20, "lr": 3e-3, "warmup": 50, "patience": 5},
    "translator": {
        "epochs": 30,
        "lr": 4e-3,
        "warmup": 100,
        "patience": 5,
        "ema": 0.999,
    },
    "tagger": {"epochs": 50, "lr": 2e-3, "warmup": 100, "patience": 8, "clip": 5.0},
}
