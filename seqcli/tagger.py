"""The BiLSTM-CRF named-entity tagger: model, training task, tagging and scoring.

Each token is read as a word embedding, a capitalisation feature and a char-CNN
summary of its spelling (Ma and Hovy, 2016); a BiLSTM over the sentence gives tag
scores and a linear-chain CRF (seqcli.crf) picks the best tag sequence, with the
transitions its training scheme forbids masked out. The CRF learns BIOES tags by
default; input is read and output written in the scheme of the training data.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqcli import console, distributed, tagging
from seqcli.config import TaggerConfig
from seqcli.crf import CRF, transition_constraints
from seqcli.errors import SeqcliError
from seqcli.features import CAPS, Batch, Encoder, word_key

KIND = "tagger"
PREFIXES = {"bioes": "BIES", "iob2": "BI", "iob1": "BI"}


class Tagger(nn.Module):
    """Word + capitalisation + char-CNN features → BiLSTM → linear → CRF.

    Args:
        cfg: sizes and settings; the vocabulary sizes must be set.
        tags: tag names in id order, in the scheme `cfg.scheme`.
    """

    def __init__(self, cfg: TaggerConfig, tags: Sequence[str]):
        super().__init__()
        if cfg.num_tags != len(tags):
            raise ValueError(f"{len(tags)} tags for num_tags={cfg.num_tags}")
        self.cfg = cfg
        self.tags = list(tags)
        self.words = nn.Embedding(cfg.word_vocab_size, cfg.embedding, padding_idx=0)
        bound = math.sqrt(3 / cfg.embedding)  # as Lample et al. and Ma and Hovy
        nn.init.uniform_(self.words.weight, -bound, bound)
        self.caps = None
        width = cfg.embedding + cfg.char_filters
        if cfg.case == "lower":
            self.caps = nn.Embedding(len(CAPS), cfg.caps_embedding, padding_idx=0)
            width += cfg.caps_embedding
        self.chars = nn.Embedding(
            cfg.char_vocab_size, cfg.char_embedding, padding_idx=0
        )
        self.char_cnn = nn.Conv1d(cfg.char_embedding, cfg.char_filters, 3, padding=1)
        self.lstm = nn.LSTM(
            width,
            cfg.hidden,
            cfg.layers,
            batch_first=True,
            bidirectional=True,
            dropout=cfg.dropout if cfg.layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(2 * cfg.hidden, cfg.num_tags)
        self.crf = CRF(cfg.num_tags, *transition_constraints(self.tags, cfg.scheme))

    def char_features(self, chars: torch.Tensor) -> torch.Tensor:
        """
        Args:
            chars: (types, max_chars) character ids, <pad> (0) after each word.
        Returns:
            (types, char_filters): the max over each word's positions of the CNN.
        """
        # shape: (types, char_embedding, max_chars)
        x = self.drop(self.chars(chars)).transpose(1, 2)
        # shape: (types, char_filters, max_chars)
        h = self.char_cnn(x)
        h = h.masked_fill((chars == 0).unsqueeze(1), float("-inf"))
        return h.max(dim=2).values

    def emissions(self, batch: Batch) -> torch.Tensor:
        """
        Args:
            batch: padded sentences (see seqcli.features.Batch).
        Returns:
            (batch, time, num_tags) float32 tag scores; rows past a sentence's end
            are meaningless (the CRF masks them).
        """
        # shape: (batch, time, char_filters)
        spelling = self.char_features(batch.chars)[batch.types]
        parts = [self.words(batch.words), spelling]
        if self.caps is not None:
            parts.append(self.caps(batch.caps))
        # shape: (batch, time, features)
        x = self.drop(torch.cat(parts, dim=-1))
        packed = pack_padded_sequence(
            x, batch.lengths, batch_first=True, enforce_sorted=False
        )
        out, _ = self.lstm(packed)
        # shape: (batch, time, 2 * hidden)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.size(1))
        # shape: (batch, time, num_tags)
        return self.head(self.drop(out)).float()

    def forward(self, batch: Batch) -> torch.Tensor:
        """Mean negative log-likelihood of the batch's gold tags (a scalar)."""
        return self.crf.nll(self.emissions(batch), batch.tags, batch.mask)

    def decode(self, batch: Batch) -> torch.Tensor:
        """(batch, time) best tag ids by Viterbi; 0 past each sentence's end."""
        return self.crf.decode(self.emissions(batch), batch.mask)[0]

    @torch.no_grad()
    def decode_tokens(
        self, encoder: Encoder, sentences: Sequence[Sequence[str]]
    ) -> list[list[int]]:
        """Best tag ids of each non-empty token list (see seqcli.tagging)."""
        device = next(self.parameters()).device
        paths = self.decode(encoder.batch(sentences).to(device)).tolist()
        return [path[: len(s)] for path, s in zip(paths, sentences, strict=True)]


def tag_set(types: set[str], scheme: str) -> list[str]:
    """O, then every prefix of the scheme for each entity type (sorted)."""
    return ["O"] + [f"{p}-{t}" for t in sorted(types) for p in PREFIXES[scheme]]


def from_manifest(manifest: dict) -> Tagger:
    return Tagger(
        TaggerConfig(**manifest["config"]), manifest["vocabs"]["tags"]["tokens"]
    )


# --- reading labelled data ---


def input_scheme(doc) -> str:
    """The document's tag scheme; warns where labels are repaired as conlleval would."""
    from seqcli.conll import detect_scheme, validate

    scheme = detect_scheme(s.labels for s in doc.sentences)
    problems = [
        (s.line_no, p) for s in doc.sentences for p in validate(s.labels, scheme)
    ]
    if problems:
        line, first = problems[0]
        console.warn(
            f"{doc.source}: {len(problems)} label(s) do not follow {scheme} (first: "
            f"sentence at line {line}, {first}); they are read as conlleval reads them"
        )
    return scheme


def scores(gold: list[list[str]], pred: list[list[str]]) -> dict:
    from seqcli import entities

    return entities.score(gold, pred)


# --- training ---


class TaggerTask:
    """Batches, loss and dev F1 of the tagger for the shared training loop.

    Args:
        encoder: the model's vocabularies.
        sentences: training token lists.
        tag_ids: their gold tag ids (training scheme).
        dev: (token lists, gold labels in `dev_scheme`) to score each evaluation.
        dev_scheme: the dev file's scheme; predictions are scored in it.
        rare: word keys seen once in training (word dropout).
    """

    metric = "f1"
    higher_is_better = True

    def __init__(
        self,
        encoder: Encoder,
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
        rank: int = 0,
        world: int = 1,
    ):
        from seqcli.data import length_batches

        self.encoder, self.sentences, self.tag_ids = encoder, sentences, tag_ids
        self.dev_tokens, self.dev_gold = dev
        self.dev_scheme = dev_scheme
        self.batch_size, self.word_dropout, self.rare = batch_size, word_dropout, rare
        self.seed, self.device, self.rank, self.world = seed, device, rank, world
        self.lengths = [len(s) for s in sentences]
        n = len(length_batches(self.lengths, batch_size, shuffle=True, seed=seed))
        self.steps = max(1, n // world)  # every rank takes as many steps

    def steps_per_epoch(self) -> int:
        return self.steps

    def batches(self, epoch: int, start: int) -> Iterator[Batch]:
        from seqcli.data import length_batches

        every = length_batches(
            self.lengths, self.batch_size, shuffle=True, seed=self.seed, epoch=epoch
        )
        mine = every[self.rank :: self.world][: self.steps]
        for step in range(start, len(mine)):
            # seeded per step, so that a resumed run drops the same words
            rng = random.Random(
                (self.seed * 1_000_003 + epoch) * 1_000_003 + step * self.world
            )
            indices = mine[step]
            yield self.encoder.batch(
                [self.sentences[i] for i in indices],
                [self.tag_ids[i] for i in indices],
                rare=self.rare,
                word_dropout=self.word_dropout,
                rng=rng,
            ).to(self.device)

    def loss(self, model: Tagger, batch: Batch) -> tuple[torch.Tensor, int]:
        return model(batch), int(batch.lengths.sum())

    def evaluate(self, model: Tagger) -> dict[str, float]:
        from seqcli.conll import convert

        pred = tagging.predict(model, self.encoder, self.dev_tokens, batch_size=128)
        pred = [convert(p, model.cfg.scheme, self.dev_scheme) for p in pred]
        result = scores(self.dev_gold, pred)
        return {k: result[k] for k in ("f1", "precision", "recall", "accuracy")}

    def state_tensors(self) -> dict[str, torch.Tensor]:
        return {}

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        pass


def _digest(doc) -> str:
    h = hashlib.sha256()
    for s in doc.sentences:
        h.update(("\t".join(s.tokens) + "\n" + "\t".join(s.labels) + "\n").encode())
    return h.hexdigest()


def _new_manifest(
    config: TaggerConfig,
    train_doc,
    scheme: str,
    *,
    vectors: str | None,
    vector_words: int,
) -> tuple[dict, tuple[list[str], torch.Tensor] | None]:
    """A fresh manifest (vocabularies, tags, sizes) and the vectors to load, if any."""
    from seqcli.features import read_vectors
    from seqcli.vocab import Vocab

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
    manifest = {
        "kind": KIND,
        "config": asdict(config),
        "vocabs": {
            "words": word_vocab.to_dict(),
            "chars": char_vocab.to_dict(),
            "tags": {"tokens": tags},
        },
        "input_scheme": scheme,
    }
    return manifest, found


def train(
    path: str,
    *,
    name: str,
    store,
    device: torch.device,
    settings,
    config: TaggerConfig,
    dev_path: str,
    label_column: int = -1,
    vectors: str | None = None,
    vector_words: int = 50_000,
    resume: bool = False,
    encoding_errors: str = "strict",
):
    """Train (or resume) a tagger on a CoNLL file, keeping its best dev-F1 checkpoint.

    Args:
        path: training CoNLL file (IOB1, IOB2 or BIOES; detected).
        name: the model's name in `store`.
        store: a seqcli.store.Store.
        device: where to train.
        settings: the training loop's TrainConfig.
        config: the model's settings (sizes are filled in from the data).
        dev_path: dev CoNLL file, scored with conlleval's entity F1 each evaluation.
        label_column: column of the gold labels (negative counts from the end).
        vectors: GloVe/word2vec text file to initialise the word embeddings.
        vector_words: the commonest words of `vectors` added to the vocabulary.
        resume: continue the run saved under `name`.
        encoding_errors: "strict" or "replace" for bytes that are not UTF-8.

    Returns:
        The training loop's final Position.
    """
    from seqcli.conll import convert
    from seqcli.device import seed_everything
    from seqcli.train import fit
    from seqcli.vocab import WordTokenizer

    train_doc = tagging.read_conll(
        path, label_column=label_column, errors=encoding_errors
    )
    dev_doc = tagging.read_conll(
        dev_path, label_column=label_column, errors=encoding_errors
    )
    scheme, dev_scheme = input_scheme(train_doc), input_scheme(dev_doc)
    found = None
    if resume:
        manifest = store.load_state(name)[0]["manifest"]
    else:
        WordTokenizer(config.lang).tokens("")  # an unknown --lang fails now
        manifest, found = _new_manifest(
            config, train_doc, scheme, vectors=vectors, vector_words=vector_words
        )
        manifest["training"] = {
            "data": str(path),
            "dev": str(dev_path),
            "label_column": label_column,
            "vectors": str(vectors) if vectors else None,
        }
    digest = _digest(train_doc)
    if resume and manifest["training"].get("sha256") != digest:
        raise SeqcliError(
            f"the training data differs from the one {name!r} was trained on; "
            "resume needs the same files"
        )
    manifest["training"]["sha256"] = digest

    seed_everything(settings.seed)  # the initial weights too
    model = from_manifest(manifest)
    cfg = model.cfg
    encoder = tagging.encoder_from_manifest(manifest)
    if found is not None:
        keys, table = found
        rows = [encoder.words.stoi[k] for k in keys]
        with torch.no_grad():
            model.words.weight[rows] = table
        console.info(
            f"word vectors for {len(rows):,} of {len(encoder.words):,} words "
            f"({table.size(1)} dimensions)"
        )
    index = {tag: i for i, tag in enumerate(model.tags)}
    sentences = [s.tokens for s in train_doc.sentences]
    tag_ids = [
        [index[t] for t in convert(s.labels, scheme, cfg.scheme)]
        for s in train_doc.sentences
    ]
    counts = Counter(word_key(t, cfg.case) for s in sentences for t in s)
    task = TaggerTask(
        encoder,
        sentences,
        tag_ids,
        ([s.tokens for s in dev_doc.sentences], [s.labels for s in dev_doc.sentences]),
        dev_scheme,
        batch_size=cfg.batch_size,
        word_dropout=cfg.word_dropout,
        rare={k for k, n in counts.items() if n == 1},
        seed=settings.seed,
        device=device,
        rank=distributed.rank(),
        world=distributed.world_size(),
    )
    n_tokens = sum(map(len, sentences))
    n_params = sum(p.numel() for p in model.parameters())
    console.info(
        f"{KIND} {name}: {len(sentences):,} training sentences ({n_tokens:,} tokens, "
        f"{scheme}), {len(dev_doc.sentences):,} dev; {len(model.tags)} tags "
        f"({cfg.scheme}), {len(encoder.words):,} words, {n_params:,} parameters"
    )
    return fit(
        model,
        task,
        settings,
        store=store,
        name=name,
        manifest=manifest,
        device=device,
        resume=resume,
    )


# --- seqcli eval ---


def evaluate_command(
    model: Tagger,
    manifest: dict,
    *,
    files: list[str],
    label_column: int = -1,
    encoding_errors: str = "strict",
    **_,
) -> dict:
    """`seqcli eval` for a tagger: conlleval's entity scores on CoNLL files.

    Predictions are compared in each file's own tag scheme, as conlleval would see
    the file with a prediction column appended.

    Returns:
        {precision, recall, f1, accuracy (fractions), correct, predicted, support,
        tokens, sentences, per_type: {TYPE: {precision, recall, f1, ...}}}.
    """
    if not files:
        raise SeqcliError("give the CoNLL file(s) to score")
    encoder = tagging.encoder_from_manifest(manifest)
    gold: list[list[str]] = []
    pred: list[list[str]] = []
    for path in files:
        doc = tagging.read_conll(
            path, label_column=label_column, errors=encoding_errors
        )
        scheme = input_scheme(doc)
        gold += [s.labels for s in doc.sentences]
        pred += tagging.tag_tokens(
            model,
            manifest,
            [s.tokens for s in doc.sentences],
            scheme=scheme,
            encoder=encoder,
            batch_size=128,
        )
    result = scores(gold, pred)
    per_type = result.pop("per_type")
    return {**result, "sentences": len(gold), "per_type": per_type}
