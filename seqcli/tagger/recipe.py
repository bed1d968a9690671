"""Training and scoring the tagger on CoNLL files.

The CRF learns BIOES tags by default; input is read and output written in the
scheme of the training data, and dev F1 (conlleval's) picks the checkpoint.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from typing import NamedTuple

import torch

import seqcli.recipe
from seqcli import console, distributed
from seqcli.data import RankBatches, read_text, split_lines
from seqcli.errors import OptionError, SeqcliError
from seqcli.manifest import Manifest
from seqcli.recipe import Recipe, new_manifest, parameters
from seqcli.store import Store
from seqcli.tagger import entities
from seqcli.tagger.capitals import capital_classes
from seqcli.tagger.config import EVAL_BATCH_SIZE, TaggerConfig
from seqcli.tagger.data import Batch, Batcher, input_scheme, read_conll
from seqcli.tagger.decode import predict, tag_tokens
from seqcli.tagger.model import Tagger
from seqcli.tagger.schemes import convert, tag_set
from seqcli.train import Position, Task
from seqcli.vectors import fill_embedding
from seqcli.vocab import Vocab, WordTokenizer, word_key

KIND = "tagger"


class TaggerTask(Task):
    """Batches, loss and dev F1 of the tagger for the shared training loop.

    Args:
        batcher: the model's vocabularies.
        sentences: training token lists.
        tag_ids: their gold tag ids (training scheme).
        dev: (token lists, gold labels in `dev_scheme`) to score each evaluation.
        dev_scheme: the dev file's scheme; predictions are scored in it.
        rare: word keys seen once in training (word dropout).
        context: computes each training sentence's context features (the char-LMs
            are fixed, so once, at the first batch: after a resumed run's weights
            are loaded), or None without context char-LMs.
    """

    metric = "f1"
    higher_is_better = True

    def __init__(
        self,
        batcher: Batcher,
        sentences: list[list[str]],
        tag_ids: list[list[int]],
        dev: tuple[list[list[str]], list[list[str]]],
        dev_scheme: str,
        *,
        batch_size: int,
        word_dropout: float,
        rare: set[str],
        seed: int,
        device: torch.device,
        context: Callable[[], list[torch.Tensor]] | None = None,
        rank: int = 0,
        world: int = 1,
    ):
        self.batcher, self.sentences, self.tag_ids = batcher, sentences, tag_ids
        self.context = context
        self.features: list[torch.Tensor] | None = None
        self.dev_tokens, self.dev_gold = dev
        self.dev_scheme = dev_scheme
        self.batch_size, self.word_dropout, self.rare = batch_size, word_dropout, rare
        self.seed, self.device, self.rank, self.world = seed, device, rank, world
        self.order = RankBatches(
            [len(s) for s in sentences], batch_size, seed=seed, rank=rank, world=world
        )

    def steps_per_epoch(self) -> int:
        return self.order.steps

    def batches(self, epoch: int, start: int) -> Iterator[Batch]:
        if self.context is not None and self.features is None:
            self.features = self.context()
        mine = self.order.epoch(epoch)
        for step in range(start, len(mine)):
            # seeded per step, so that a resumed run drops the same words
            rng = random.Random(
                (self.seed * 1_000_003 + epoch) * 1_000_003 + step * self.world
            )
            indices = mine[step]
            batch = self.batcher.batch(
                [self.sentences[i] for i in indices],
                [self.tag_ids[i] for i in indices],
                rare=self.rare,
                word_dropout=self.word_dropout,
                rng=rng,
                texts=self.features is None,
            )
            if self.features is not None:
                batch.context = torch.nn.utils.rnn.pad_sequence(
                    [self.features[i] for i in indices], batch_first=True
                )
            yield batch.to(self.device)

    def training_data(self) -> tuple:
        return self.sentences, self.tag_ids

    def loss(self, model: Tagger, batch: Batch) -> tuple[torch.Tensor, int]:
        return model(batch), int(batch.lengths.sum())

    def evaluate(self, model: Tagger) -> dict[str, float]:
        pred = predict(model, self.batcher, self.dev_tokens, batch_size=EVAL_BATCH_SIZE)
        pred = [convert(p, model.cfg.scheme, self.dev_scheme) for p in pred]
        result = entities.score(self.dev_gold, pred)
        return {k: result[k] for k in ("f1", "precision", "recall", "accuracy")}


@torch.no_grad()
def context_features(
    model: Tagger, batcher: Batcher, sentences: list[list[str]], device: torch.device
) -> list[torch.Tensor] | None:
    """Each sentence's (tokens, features) context features in float16 on the CPU,
    or None for a tagger without context char-LMs."""
    from seqcli.data import length_batches

    if not model.lms:
        return None
    found: list[torch.Tensor] = [torch.empty(0)] * len(sentences)
    for indices in length_batches([len(s) for s in sentences], EVAL_BATCH_SIZE):
        batch = batcher.batch([sentences[i] for i in indices]).to(device)
        features = model.context(vars(batch)).half().cpu()
        for row, i in zip(features, indices, strict=True):
            found[i] = row[: len(sentences[i])].clone()
    return found


def context_lms(store: Store, names: tuple[str, ...]) -> dict[str, tuple]:
    """{direction: (char-LM, its manifest)} of the stored char-LMs `names`, at most
    one per direction."""
    from seqcli.charlm.model import CharLM  # a char-LM is part of such a tagger

    found: dict[str, tuple] = {}
    for name in names:
        manifest = store.manifest(name, "charlm")
        if manifest.units != "char":
            raise SeqcliError(
                f"--lm {name}: a tagger's context char-LMs read characters, and "
                f"{name!r} reads {manifest.units} units"
            )
        lm = store.load_weights(CharLM.from_manifest(manifest), name, manifest)
        direction = manifest.direction
        if direction in found:
            raise SeqcliError(
                f"--lm: two {direction} char-LMs ({found[direction][1].name!r} "
                f"and {name!r}); give at most one forward and one backward"
            )
        manifest["name"] = name
        found[direction] = (lm, manifest)
    return dict(sorted(found.items(), key=lambda item: item[0] != "forward"))


def build_manifest(
    config: TaggerConfig,
    train_doc,
    scheme: str,
    *,
    vectors: str | None,
    vector_words: int,
    lms: dict[str, tuple] | None = None,
) -> tuple[dict, tuple[list[str], torch.Tensor] | None]:
    """A fresh manifest (vocabularies, tags, sizes) and the vectors to load, if any."""
    from seqcli.vectors import read_vectors

    sentences = train_doc.sentences
    keys = Counter(word_key(t, config.case) for s in sentences for t in s.tokens)
    found = None
    words = [k for k, _ in keys.most_common()]
    if vectors:
        console.info(f"reading word vectors from {vectors}")
        # the commonest words of the vectors join the vocabulary, so that words
        # never seen in training still get a meaningful embedding
        found = read_vectors(
            vectors, case=config.case, wanted=set(keys), top=vector_words
        )
        seen = set(words)
        words += [k for k in found[0] if k not in seen]
        config.embedding = found[1].size(1)
    word_vocab = Vocab(words)
    char_vocab = Vocab.build(list(t) for s in sentences for t in s.tokens)
    types = {lab[2:] for s in sentences for lab in s.labels if lab != "O"}
    tags = tag_set(types, config.scheme)
    config.word_vocab_size = len(word_vocab)
    config.char_vocab_size = len(char_vocab)
    config.num_tags = len(tags)
    manifest = new_manifest(
        KIND,
        config,
        {
            "words": word_vocab.to_dict(),
            "chars": char_vocab.to_dict(),
            "tags": {"tokens": tags},
        },
    )
    manifest["input_scheme"] = scheme
    if lms:
        manifest["context"] = {
            direction: {
                "model": lm.name,
                "config": lm.config,
                "chars": lm.vocab_dict("chars"),
            }
            for direction, lm in (
                (direction, Manifest.of(lm_manifest))
                for direction, (_, lm_manifest) in lms.items()
            )
        }
    return manifest, found


class Tagged(NamedTuple):
    """CoNLL sentences and their tag scheme, detected once on reading."""

    sentences: list
    scheme: str


class TaggerRecipe(Recipe):
    """A tagger on CoNLL files; dev is a seeded random part of the sentences.

    Args:
        path: training CoNLL file (IOB1, IOB2 or BIOES; detected).
        dev_path: dev CoNLL file, scored with conlleval's entity F1 each evaluation;
            by default a seeded random `dev_fraction` of the training sentences.
        label_column: column of the gold labels (negative counts from the end).
        vectors: GloVe/word2vec text file to initialise the word embeddings.
        vector_words: the commonest words of `vectors` added to the vocabulary.
        lms: stored char-LMs (one forward, one backward, or both) whose states
            become context features; their weights are copied into the tagger.
        case_text: cased running text from which each word's capitalised share is
            counted (seqcli.tagger.capitals).
    """

    kind = KIND
    network = Tagger

    def __init__(
        self,
        path: str,
        dev_path: str | None = None,
        *,
        label_column: int = -1,
        vectors: str | None = None,
        vector_words: int = 50_000,
        lms: tuple[str, ...] = (),
        case_text: str | None = None,
        **options,
    ):
        super().__init__(**options)
        self.path, self.dev_path, self.label_column = path, dev_path, label_column
        self.vectors, self.vector_words, self.lms = vectors, vector_words, lms
        self.case_text = case_text
        self.found = None  # the word vectors to load, for a new run
        self.context: dict[str, tuple] = {}  # the context char-LMs of a new run
        self.capitals: list[int] | None = None  # each word's class, for a new run
        for given, option in ((lms, "--lm"), (case_text, "--case-text")):
            if self.resume and given:
                raise SeqcliError(
                    f"{option} is kept from the run being resumed; leave it out"
                )

    def read(self) -> tuple[Tagged, Tagged | None]:
        def read(path):
            doc = read_conll(path, label_column=self.label_column, errors=self.errors)
            return Tagged(doc.sentences, input_scheme(doc))  # warns once, here

        return read(self.path), read(self.dev_path) if self.dev_path else None

    def count(self, data: Tagged) -> int:
        return len(data.sentences)

    def take(self, data: Tagged, indices) -> Tagged:
        return Tagged([data.sentences[i] for i in indices], data.scheme)

    def join(self, train: Tagged, dev: Tagged) -> Tagged:
        if dev.scheme != train.scheme:
            raise SeqcliError(
                f"--with-dev: the dev data is in {dev.scheme}, the training data in "
                f"{train.scheme}; give both in one scheme"
            )
        return Tagged(train.sentences + dev.sentences, train.scheme)

    def manifest(self, config: TaggerConfig, train, dev) -> dict:
        WordTokenizer(config.lang).tokens("")  # an unknown --lang fails now
        self.context = context_lms(self.store, self.lms)
        config.capital_prior = bool(self.case_text)
        manifest, self.found = build_manifest(
            config,
            train,
            train.scheme,
            vectors=self.vectors,
            vector_words=self.vector_words,
            lms=self.context,
        )
        if self.case_text:
            lines = split_lines(read_text(self.case_text, self.errors))
            words = Manifest.of(manifest).vocab("words")
            self.capitals = capital_classes(words, lines)
        manifest["training"] = {
            "data": str(self.path),
            "dev": str(self.dev_path)
            if self.dev_path
            else f"random {self.dev_fraction:.0%} of data",
            "label_column": self.label_column,
            "vectors": str(self.vectors) if self.vectors else None,
            "lms": list(self.lms),
            "case_text": self.case_text,
        }
        return manifest

    def task(self, model, manifest, train, dev, *, settings, device) -> TaggerTask:
        batcher = Batcher.from_manifest(manifest)
        if self.found is not None:
            filled = fill_embedding(model.words.weight, batcher.words, self.found)
            console.info(
                f"word vectors for {filled:,} of {len(batcher.words):,} words "
                f"({self.found[1].size(1)} dimensions)"
            )
        if self.capitals is not None:
            model.capital_class.copy_(torch.tensor(self.capitals, dtype=torch.uint8))
        for direction, (lm, _) in self.context.items():
            weights = {k: v for k, v in lm.state_dict().items() if k[:5] != "head."}
            model.lms[model.lm_directions.index(direction)].load_state_dict(weights)
        cfg, scheme = model.cfg, train.scheme
        index = {tag: i for i, tag in enumerate(model.tags)}
        sentences = [s.tokens for s in train.sentences]
        tag_ids = [
            [index[t] for t in convert(s.labels, scheme, cfg.scheme)]
            for s in train.sentences
        ]
        counts = Counter(word_key(t, cfg.case) for s in sentences for t in s)
        if cfg.lower_copies:  # the same tags; word dropout still by the originals
            sentences = sentences + [[t.lower() for t in s] for s in sentences]
            tag_ids = tag_ids + tag_ids

        def context():
            console.info(f"context features of {len(sentences):,} sentences")
            return context_features(model, batcher, sentences, device)

        return TaggerTask(
            batcher,
            sentences,
            tag_ids,
            ([s.tokens for s in dev.sentences], [s.labels for s in dev.sentences]),
            dev.scheme,
            batch_size=cfg.batch_size,
            word_dropout=cfg.word_dropout,
            rare={k for k, n in counts.items() if n == 1},
            seed=settings.seed,
            device=device,
            context=context if model.lms else None,
            rank=distributed.rank(),
            world=distributed.world_size(),
        )

    def describe(self, name: str, model: Tagger, train, dev) -> str:
        n_tokens = sum(len(s.tokens) for s in train.sentences)
        return (
            f"{KIND} {name}: {len(train.sentences):,} training sentences "
            f"({n_tokens:,} tokens, {train.scheme}"
            + (", and a lower-cased copy of each" if model.cfg.lower_copies else "")
            + f"), {len(dev.sentences):,} "
            f"dev; {len(model.tags)} tags ({model.cfg.scheme}), "
            f"{model.cfg.word_vocab_size:,} words, {parameters(model):,} parameters"
        )


def train(*data, **options) -> Position:
    """Train (or resume) a tagger on a CoNLL file, keeping its best dev-F1 checkpoint.

    `data` and the options: those of TaggerRecipe and of seqcli.recipe.train.
    Returns the training loop's final Position.
    """
    return seqcli.recipe.run(TaggerRecipe, *data, **options)


def evaluate(
    model: Tagger,
    manifest: dict,
    *,
    files: list[str],
    label_column: int = -1,
    encoding_errors: str = "strict",
) -> dict:
    """`seqcli eval` for a tagger: conlleval's entity scores on CoNLL files.

    Predictions are compared in each file's own tag scheme, as conlleval would see
    the file with a prediction column appended.

    Returns:
        {precision, recall, f1, accuracy (fractions), correct, predicted, support,
        tokens, sentences, per_type: {TYPE: {precision, recall, f1, ...}}}.
    """
    if not files:
        raise OptionError("give the CoNLL file(s) to score")
    batcher = Batcher.from_manifest(manifest)
    gold: list[list[str]] = []
    pred: list[list[str]] = []
    for path in files:
        doc = read_conll(path, label_column=label_column, errors=encoding_errors)
        scheme = input_scheme(doc)
        gold += [s.labels for s in doc.sentences]
        pred += tag_tokens(
            model,
            manifest,
            [s.tokens for s in doc.sentences],
            scheme=scheme,
            batcher=batcher,
            batch_size=EVAL_BATCH_SIZE,
        )
    result = entities.score(gold, pred)
    per_type = result.pop("per_type")
    return {**result, "sentences": len(gold), "per_type": per_type}
