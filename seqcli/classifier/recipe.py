"""Training and scoring the classifier on labelled lines; dev accuracy (or macro-F1,
`--metric`) picks the checkpoint."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import torch

import seqcli.recipe
from seqcli import console, distributed
from seqcli.classifier import ngrams, pretrain
from seqcli.classifier.calibrate import calibrate_stored, eval_calibration
from seqcli.classifier.config import EVAL_BATCH_SIZE, ClassifierConfig
from seqcli.classifier.data import Codec, Labelled, read_labelled
from seqcli.classifier.decode import probabilities
from seqcli.classifier.metrics import best, check_gold, predict, scores
from seqcli.classifier.model import Classifier
from seqcli.data import RankBatches
from seqcli.errors import OptionError, SeqcliError
from seqcli.manifest import Manifest
from seqcli.recipe import Recipe, new_manifest, parameters
from seqcli.store import Store
from seqcli.train import Position, Task
from seqcli.vectors import fill_embedding
from seqcli.vocab import SPECIALS, Vocab

KIND = "classifier"


class ClassifierTask(Task):
    """Batches, loss and dev metrics of the classifier for the shared training loop."""

    higher_is_better = True

    def __init__(
        self,
        codec: Codec,
        train: tuple[list[list[int]], list[int]],
        dev: tuple[list[list[int]], list[str]],
        *,
        metric: str,
        batch_size: int,
        class_weights: torch.Tensor | None,
        seed: int,
        device: torch.device,
        rank: int = 0,
        world: int = 1,
    ):
        self.codec, self.metric = codec, metric
        (self.ids, self.targets), (self.dev_ids, self.dev_gold) = train, dev
        self.device = device
        self.weights = None if class_weights is None else class_weights.to(device)
        self.order = RankBatches(
            [len(ids) for ids in self.ids],
            batch_size,
            seed=seed,
            rank=rank,
            world=world,
        )

    def steps_per_epoch(self) -> int:
        return self.order.steps

    def batches(self, epoch: int, start: int) -> Iterator[tuple[torch.Tensor, ...]]:
        from seqcli.data import pad

        for batch in self.order.epoch(epoch)[start:]:
            ids, lengths = pad([self.ids[i] for i in batch], Vocab.pad_index)
            targets = torch.tensor([self.targets[i] for i in batch])
            yield ids.to(self.device), lengths, targets.to(self.device)

    def training_data(self) -> tuple:
        return self.ids, self.targets

    def loss(self, model: Classifier, batch) -> tuple[torch.Tensor, int]:
        ids, lengths, targets = batch
        _, loss = model(ids, lengths, targets, self.weights)
        return loss, int(lengths.sum())

    def evaluate(self, model: Classifier) -> dict[str, float]:
        pred = predict(model, self.codec, self.dev_ids)
        result = scores(self.dev_gold, pred)
        return {k: result[k] for k in ("accuracy", "macro_f1")}


def word_vocab(
    config: ClassifierConfig,
    keys: list[list[str]],
    *,
    vectors: str | None,
    vector_words: int,
) -> tuple[Vocab, tuple[list[str], torch.Tensor] | None]:
    """The word vocabulary of texts split into keys, and the vectors to load (the
    embedding size becomes theirs)."""
    from seqcli.vectors import read_vectors

    counts = Counter(k for text in keys for k in text)
    found = None
    words = [k for k, n in counts.most_common() if n >= config.min_freq]
    if vectors:
        console.info(f"reading word vectors from {vectors}")
        found = read_vectors(
            vectors, case="lower", wanted=set(counts), top=vector_words
        )
        # with vectors a word seen once still means something
        known = set(found[0])
        words = [
            k for k, n in counts.most_common() if n >= config.min_freq or k in known
        ]
        seen = set(words)
        words += [k for k in found[0][:vector_words] if k not in seen]
        config.embedding = found[1].size(1)
    vocab = Vocab(words[: config.max_vocab])
    config.vocab_size = len(vocab)
    return vocab, found


def new_classifier(config: ClassifierConfig, vocab: Vocab, labels: list[str]) -> dict:
    """A fresh manifest (vocabularies, classes, sizes)."""
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise SeqcliError(f"the training data has one label only ({classes[0]!r})")
    config.vocab_size, config.num_classes = len(vocab), len(classes)
    vocabs = {"words": vocab.to_dict(), "labels": {"tokens": classes}}
    return new_manifest(KIND, config, vocabs)


def from_encoder(config: ClassifierConfig, encoder: dict) -> Vocab:
    """The settings a classifier takes from a pretrained encoder's manifest, and
    its vocabulary: the encoder's commonest `max_vocab` words."""
    for key in ("lang", "cell", "embedding", "hidden", "layers"):
        setattr(config, key, encoder["config"][key])
    words = Manifest.of(encoder).vocab("words").itos[len(SPECIALS) :]
    return Vocab(words[: config.max_vocab])


class ClassifierRecipe(Recipe):
    """A classifier on labelled lines; dev is a seeded random part of them.

    Args:
        path: training lines, label<TAB>text or fastText's __label__ form.
        dev_path: dev lines; by default a seeded random `dev_fraction` of `path`.
        vectors: GloVe/word2vec text file to start the word embeddings from.
        vector_words: the commonest words of `vectors` added to the vocabulary.
        lm: a stored pretrained encoder (seqcli.classifier.pretrain) to start
            from: its vocabulary, embeddings and encoder.
    """

    kind = KIND
    network = Classifier

    def __init__(
        self,
        path: str,
        dev_path: str | None = None,
        *,
        vectors: str | None = None,
        vector_words: int = 0,
        lm: str | None = None,
        **options,
    ):
        super().__init__(**options)
        self.path, self.dev_path = path, dev_path
        self.vectors, self.vector_words = vectors, vector_words
        if lm and vectors:
            raise OptionError(
                "--lm and --vectors: the pretrained encoder's embeddings are used"
            )
        if lm and self.resume:
            raise OptionError("--lm is kept from the run being resumed; leave it out")
        self.lm = lm
        self.found = None  # the word vectors to load, for a new run
        self.encoder = None  # and the pretrained encoder's weights

    def read(self) -> tuple[Labelled, Labelled | None]:
        dev = read_labelled(self.dev_path, self.errors) if self.dev_path else None
        return read_labelled(self.path, self.errors), dev

    def count(self, data: Labelled) -> int:
        return len(data.texts)

    def take(self, data: Labelled, indices) -> Labelled:
        return Labelled(
            [data.texts[i] for i in indices],
            [data.labels[i] for i in indices],
            [data.lines[i] for i in indices],
        )

    def join(self, train: Labelled, dev: Labelled) -> Labelled:
        return Labelled(
            train.texts + dev.texts, train.labels + dev.labels, train.lines + dev.lines
        )

    def manifest(self, config: ClassifierConfig, train: Labelled, dev) -> dict:
        from seqcli.vocab import WordTokenizer

        WordTokenizer(config.lang).tokens("")  # an unknown --lang fails now
        if self.lm:
            encoder, self.encoder = pretrain.encoder_of(self.store, self.lm)
            manifest = new_classifier(
                config, from_encoder(config, encoder), train.labels
            )
        else:
            keys = Codec(Vocab([]), [], config.lang, config.max_tokens).keys(
                train.texts
            )
            vocab, self.found = word_vocab(
                config, keys, vectors=self.vectors, vector_words=self.vector_words
            )
            manifest = new_classifier(config, vocab, train.labels)
        manifest["training"] = self.sources() | {"lm": self.lm}
        return manifest

    def sources(self) -> dict:
        return {
            "data": str(self.path),
            "dev": str(self.dev_path)
            if self.dev_path
            else f"random {self.dev_fraction:.0%} of data",
            "vectors": str(self.vectors) if self.vectors else None,
        }

    def task(self, model, manifest, train, dev, *, settings, device) -> ClassifierTask:
        codec = Codec.from_manifest(manifest)
        classes = {label: c for c, label in enumerate(codec.labels)}
        unknown = sorted(set(train.labels) - set(classes))
        if unknown:
            raise SeqcliError(f"labels the model does not have: {', '.join(unknown)}")
        words = codec.words_of(train.texts)
        ids = codec.from_words(words, codec.max_tokens)
        self.kept = [i for i, x in enumerate(ids) if x]
        if len(self.kept) < len(ids):
            console.warn(f"left out {len(ids) - len(self.kept)} empty text(s)")
        ids = [ids[i] for i in self.kept]
        targets = [classes[train.labels[i]] for i in self.kept]
        cfg = model.cfg
        # the bag of n-grams is fitted on the texts as they are read when classifying
        self.bag_ids = None
        if cfg.ngrams:
            self.bag_ids = codec.from_words([words[i] for i in self.kept])
        if self.found is not None:
            filled = fill_embedding(model.words.weight, codec.words, self.found)
            console.info(f"word vectors for {filled:,} of {len(codec.words):,} words")
        if self.encoder is not None:  # its first rows: the words kept
            words = self.encoder["words.weight"][: len(codec.words)]
            model.load_state_dict({**self.encoder, "words.weight": words}, strict=False)
        weights = None
        if cfg.class_weights == "balanced":
            counts = Counter(targets)
            weights = torch.tensor(
                [
                    len(targets) / (len(classes) * max(1, counts[c]))
                    for c in range(len(classes))
                ]
            )
        return ClassifierTask(
            codec,
            (ids, targets),
            (codec.ids(dev.texts), dev.labels),
            metric=cfg.metric,
            batch_size=cfg.batch_size,
            class_weights=weights,
            seed=settings.seed,
            device=device,
            rank=distributed.rank(),
            world=distributed.world_size(),
        )

    def complete(self, store: Store, name: str, task: ClassifierTask, *, device):
        """The bag of n-grams, fitted on the training texts once the network is
        trained; the dev metrics, measured again with it, become the model's."""
        if self.bag_ids is None or not distributed.is_main():
            return
        console.info("fitting the bag of word n-grams")
        with store.lock(name):
            manifest = store.manifest(name)
            model = Classifier.from_manifest(manifest)
            store.load_weights(model, name, manifest).to(task.device)
            found = ngrams.fit(model.bag, self.bag_ids, task.targets)
            metrics = manifest["metrics"]
            if not manifest.training.get("with_dev"):
                found["dev_without"] = metrics
                metrics = task.evaluate(model)
                console.info(
                    f"dev {task.metric} with the bag: "
                    f"{found['dev_without'][task.metric]:.4f} -> "
                    f"{metrics[task.metric]:.4f}"
                )
            state = {k: v.cpu() for k, v in model.state_dict().items()}
            store.save(name, state, {**manifest, "metrics": metrics, "ngrams": found})

    def after_fit(self, store: Store, name: str, task: ClassifierTask, *, device):
        # scores that mean what they say: a temperature fitted on dev
        calibrate_stored(store, name, task.dev_ids, task.dev_gold, device=device)

    def describe(self, name: str, model: Classifier, train, dev) -> str:
        share = ", ".join(
            f"{label} {n / len(self.kept):.0%}"
            for label, n in sorted(Counter(train.labels[i] for i in self.kept).items())
        )
        return (
            f"{KIND} {name}: {len(self.kept):,} training texts ({share}), "
            f"{len(dev.texts):,} dev; {model.cfg.vocab_size:,} words, "
            f"{parameters(model):,} parameters"
        )


class PretrainRecipe(ClassifierRecipe):
    """A classifier's embeddings and encoder pretrained on unlabelled lines (see
    seqcli.classifier.pretrain); a labelled line is read for its text."""

    network = pretrain.Pretrainer
    keys = None  # the training texts' word keys, once read for a new run

    def read(self) -> tuple[Labelled, Labelled | None]:
        dev = pretrain.read_texts(self.dev_path, self.errors) if self.dev_path else None
        return pretrain.read_texts(self.path, self.errors), dev

    def manifest(self, config: ClassifierConfig, train: Labelled, dev) -> dict:
        pretrain.check(config)
        self.keys = Codec(Vocab([]), [], config.lang, config.max_tokens).keys(
            train.texts
        )
        vocab, self.found = word_vocab(
            config, self.keys, vectors=self.vectors, vector_words=self.vector_words
        )
        config.num_classes = 0
        manifest = new_manifest(KIND, config, {"words": vocab.to_dict()})
        manifest["pretrained"] = {
            "objective": pretrain.OBJECTIVE,
            "negatives": pretrain.NEGATIVES,
            "window": pretrain.CHUNK,
        }
        manifest["training"] = self.sources()
        return manifest

    def task(self, model, manifest, train, dev, *, settings, device) -> Task:
        manifest = Manifest.of(manifest)
        cfg = model.cfg
        codec = Codec(manifest.vocab("words"), [], cfg.lang, cfg.max_tokens)
        keys = self.keys or codec.keys(train.texts)
        windows = pretrain.windows(codec, keys)
        dev_windows = pretrain.windows(codec, codec.keys(dev.texts))
        if not windows or not dev_windows:
            raise SeqcliError("no text of two words or more to pretrain on")
        if self.found is not None:
            words = model.classifier.words.weight
            filled = fill_embedding(words, codec.words, self.found)
            console.info(f"word vectors for {filled:,} of {len(codec.words):,} words")
        pretrain.sampling_log_q(model, windows)
        self.windows = windows
        return pretrain.PretrainTask(
            windows, dev_windows, seed=settings.seed, device=device
        )

    def complete(self, store: Store, name: str, task: Task, *, device):
        pass  # no classes: no bag of n-grams

    def after_fit(self, store: Store, name: str, task: Task, *, device):
        pass  # and no scores to calibrate

    def describe(self, name: str, model, train, dev) -> str:
        return pretrain.describe(name, model, self.windows)


def train(*data, pretrain: bool = False, **options) -> Position:
    """Train (or resume) a classifier on labelled lines, keeping its best dev
    metric; with `pretrain`, its encoder on unlabelled lines, keeping its best dev
    loss.

    `data` and the options: those of ClassifierRecipe and of seqcli.recipe.train.
    Returns the training loop's final Position.
    """
    recipe = PretrainRecipe if pretrain else ClassifierRecipe
    return seqcli.recipe.run(recipe, *data, **options)


def evaluate(
    model: Classifier,
    manifest: dict,
    *,
    files: list[str],
    encoding_errors: str = "strict",
) -> dict:
    """`seqcli eval` for a classifier on labelled files: accuracy, macro-F1, the
    expected calibration error of its scores (see calibrate.eval_calibration),
    per-class precision, recall, F1 and support, and the confusion matrix."""
    if not files:
        raise OptionError("give the labelled file(s) to score")
    codec = Codec.from_manifest(manifest)
    gold, texts = [], []
    for path in files:
        data = read_labelled(path, encoding_errors)
        check_gold(path, data, codec)
        gold += data.labels
        texts += data.texts
    unknown = sorted(set(gold) - set(codec.labels))
    if unknown:
        console.warn(
            f"labels the model does not have (always wrong): {', '.join(unknown)}"
        )
    # labels from the uncalibrated scores: a temperature leaves them as they were
    ids = codec.ids(texts)
    found = probabilities(model, ids, EVAL_BATCH_SIZE)
    pred = [best(codec, p) for p in found]
    result = scores(gold, pred)
    lengths = [len(x) for x in ids]
    calibration = eval_calibration(found, gold, pred, codec.scaling, lengths)
    return dict(list(result.items())[:2]) | calibration | result
