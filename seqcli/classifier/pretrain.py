"""Pretraining a classifier's word embeddings and encoder on unlabelled text, as a
language model in both directions (Dai and Le, 2015; Howard and Ruder, 2018).

The classifier's own network (seqcli.classifier.model) is the language model: the
forward half of its bidirectional encoder reads a text left to right and predicts
each next word, the backward half reads it right to left and predicts each word
before. The encoder must have one layer: a second bidirectional layer would see the
words it predicts. The output layers are a sampled softmax (Jean et al., 2015): a
word's score against 512 words drawn per step from the unigram distribution to the
power 0.75, corrected by their chances of being drawn, so a step costs little for a
vocabulary of 50,000 words. Dev scores the exact softmax. The stored model is an
encoder, not a classifier: `seqcli train classifier --lm NAME` starts from it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn

from seqcli import console, distributed
from seqcli.classifier.config import ClassifierConfig
from seqcli.classifier.data import Codec, Labelled, parse_line
from seqcli.classifier.model import Classifier
from seqcli.data import RankBatches, pad, read_lines
from seqcli.errors import OptionError, SeqcliError
from seqcli.manifest import Manifest
from seqcli.recipe import parameters
from seqcli.train import Task
from seqcli.vocab import Vocab

CHUNK = 100  # tokens per training window: a longer text is cut into near-equal parts
BATCH = 128  # windows per step
NEGATIVES = 512  # words drawn per step for the sampled softmax
DROPOUT = 0.1  # on the embeddings and the encoder's states
DEV_TOKENS = 20_000  # dev tokens scored with the exact softmax (a few seconds)
OBJECTIVE = "forward and backward word language model"


def is_pretrained(manifest: dict) -> bool:
    return bool(Manifest.of(manifest).get("pretrained"))


def read_texts(path: str, errors: str = "strict") -> Labelled:
    """The texts of a file, one per non-blank line; of a labelled line, its text."""
    texts, lines = [], []
    for n, line in enumerate(read_lines(path, errors), 1):
        if line.strip():
            parsed = parse_line(line)
            texts.append(parsed[1] if parsed else line)
            lines.append(n)
    if not texts:
        raise SeqcliError(f"{path}: no text to pretrain on")
    return Labelled(texts, [""] * len(texts), lines)


def chunks(ids: Sequence[int], size: int = CHUNK) -> list[list[int]]:
    """A text's ids cut into near-equal windows of at most `size` (none for a text
    of one word: nothing to predict)."""
    if len(ids) < 2:
        return []
    step = math.ceil(len(ids) / math.ceil(len(ids) / size))
    return [list(ids[i : i + step]) for i in range(0, len(ids), step)]


def check(cfg: ClassifierConfig) -> None:
    """Refuses settings the pretraining cannot have."""
    if cfg.layers != 1:
        raise OptionError(
            "--pretrain needs --layers 1: a second bidirectional layer would "
            "see the words it predicts"
        )


class SampledSoftmax(nn.Module):
    """Word scores from an encoder state: trained against a sample of the
    vocabulary, scored (dev) against all of it."""

    def __init__(self, hidden: int, vocab_size: int):
        super().__init__()
        self.out = nn.Embedding(vocab_size, hidden)
        nn.init.normal_(self.out.weight, std=0.05)
        self.bias = nn.Parameter(torch.zeros(vocab_size))
        # log of each word's chance of being drawn (set from the training text)
        self.register_buffer("log_q", torch.full((vocab_size,), -math.log(vocab_size)))

    def forward(self, states: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of `targets` (n,) given `states` (n, hidden): sampled
        in training, exact in eval mode."""
        if not self.training:  # in pieces: a piece's logits take rows × vocabulary
            total = sum(
                F.cross_entropy(
                    (s @ self.out.weight.T + self.bias).float(), t, reduction="sum"
                )
                for s, t in zip(states.split(1024), targets.split(1024), strict=True)
            )
            return total / max(1, len(targets))
        drawn = torch.multinomial(self.log_q.exp(), NEGATIVES, replacement=True)
        true = (states * self.out(targets)).sum(-1) + self.bias[targets]
        # shape: (n, 1 + NEGATIVES); a drawn word that is the target is left out
        others = states @ self.out(drawn).T + self.bias[drawn] - self.log_q[drawn]
        others = others.masked_fill(drawn[None] == targets[:, None], -1e4)
        logits = torch.cat([(true - self.log_q[targets])[:, None], others], 1)
        return F.cross_entropy(logits.float(), torch.zeros_like(targets))


class Pretrainer(nn.Module):
    """A classifier's embeddings and encoder, with an output layer per direction."""

    def __init__(self, cfg: ClassifierConfig):
        super().__init__()
        check(cfg)
        self.cfg = cfg
        # (one class and no bag: the classifier's head is not trained here)
        self.classifier = Classifier(replace(cfg, num_classes=1, ngrams=False))
        self.heads = nn.ModuleList(
            SampledSoftmax(cfg.hidden, cfg.vocab_size) for _ in range(2)
        )
        self.drop = nn.Dropout(DROPOUT)

    @classmethod
    def from_manifest(cls, manifest: dict) -> Pretrainer:
        return cls(Manifest.of(manifest).settings(ClassifierConfig))

    def encoder_state(self) -> dict[str, torch.Tensor]:
        """The weights a classifier starts from (its names for them)."""
        return {
            k: v
            for k, v in self.classifier.state_dict().items()
            if k.startswith(("words.", "encoder."))
        }

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The mean of both directions' losses on padded windows `ids` (batch,
        time) of `lengths` (batch,)."""
        net = self.classifier
        # shape: (batch, time, 2 * hidden)
        states, _ = net.encoder(self.drop(net.words(ids)), lengths=lengths)
        states = self.drop(states)
        forward, backward = states.split(self.cfg.hidden, dim=-1)
        real = (ids != Vocab.pad_index)[:, 1:]
        # the state after word t predicts word t + 1, and backward word t - 1
        ahead = self.heads[0](forward[:, :-1][real], ids[:, 1:][real])
        behind = self.heads[1](backward[:, 1:][real], ids[:, :-1][real])
        return (ahead + behind) / 2


class PretrainTask(Task):
    """Windows of unlabelled text for the shared training loop; dev is the exact
    loss (nats per word, both directions' mean) on dev's first DEV_TOKENS words."""

    metric = "loss"
    higher_is_better = False

    def __init__(self, windows, dev_windows, *, seed: int, device: torch.device):
        self.windows, self.device = windows, device
        self.dev, total = [], 0
        for w in dev_windows:
            if total >= DEV_TOKENS:
                break
            self.dev.append(w)
            total += len(w)
        self.order = RankBatches(
            [len(w) for w in windows],
            BATCH,
            seed=seed,
            rank=distributed.rank(),
            world=distributed.world_size(),
        )

    def steps_per_epoch(self) -> int:
        return self.order.steps

    def batches(self, epoch: int, start: int) -> Iterator[tuple[torch.Tensor, ...]]:
        for batch in self.order.epoch(epoch)[start:]:
            ids, lengths = pad([self.windows[i] for i in batch], Vocab.pad_index)
            yield ids.to(self.device), lengths

    def training_data(self) -> tuple:
        return (self.windows,)

    def loss(self, model: Pretrainer, batch) -> tuple[torch.Tensor, int]:
        ids, lengths = batch
        return model(ids, lengths), int(lengths.sum())

    @torch.no_grad()
    def evaluate(self, model: Pretrainer) -> dict[str, float]:
        total, count = 0.0, 0
        for start in range(0, len(self.dev), BATCH):
            ids, lengths = pad(self.dev[start : start + BATCH], Vocab.pad_index)
            n = int(lengths.sum()) - len(lengths)  # words predicted per direction
            total += model(ids.to(self.device), lengths).item() * n
            count += n
        loss = total / max(1, count)
        return {"loss": loss, "perplexity": math.exp(min(loss, 50.0))}


def windows(codec: Codec, keys: Sequence[list[str]]) -> list[list[int]]:
    """The windows of texts split into word keys, read whole (not cut as the
    classifier cuts them)."""
    return [w for ids in codec.encode(keys, limit=10**9) for w in chunks(ids)]


def sampling_log_q(model: Pretrainer, windows: list[list[int]]) -> None:
    """Set the heads' sampling distribution: training word counts to the 0.75."""
    counts = Counter(i for w in windows for i in w)
    freq = torch.zeros(model.cfg.vocab_size)
    for i, n in counts.items():
        freq[i] = n
    freq[Vocab.pad_index] = 0.0
    q = freq.clamp(min=1e-3) ** 0.75  # a word unseen here is drawn rarely
    for head in model.heads:
        head.log_q.copy_((q / q.sum()).log())


def describe(name: str, model: Pretrainer, windows: list[list[int]]) -> str:
    words = sum(map(len, windows))
    return (
        f"classifier encoder {name} (pretraining): {words:,} words in "
        f"{len(windows):,} windows, {model.cfg.vocab_size:,} words, "
        f"{parameters(model):,} parameters"
    )


def encoder_of(store, name: str) -> tuple[Manifest, dict[str, torch.Tensor]]:
    """A stored pretrained encoder's manifest and the weights a classifier takes."""
    manifest = store.manifest(name, "classifier")
    if not is_pretrained(manifest):
        raise SeqcliError(
            f"--lm {name}: a trained classifier, not a pretrained encoder (train "
            "one with `seqcli train classifier TEXT --pretrain`)"
        )
    model = Pretrainer.from_manifest(manifest)
    store.load_weights(model, name, manifest)
    console.info(f"starting from the pretrained encoder {name}")
    return manifest, model.encoder_state()
