"""Training and scoring the char-LM.

The corpus is one stream of character ids cut into `batch_size` parallel streams,
read in windows of `bptt` characters, with the hidden state carried from one window
to the next (detached).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
import torch.nn.functional as F

import seqcli.recipe
from seqcli import console, distributed
from seqcli.charlm import units
from seqcli.charlm.config import CharLMConfig
from seqcli.charlm.data import fit_batch_shape, read_corpus, streams
from seqcli.charlm.model import CharLM, State
from seqcli.errors import OptionError, SeqcliError
from seqcli.manifest import Manifest
from seqcli.recipe import Recipe, new_manifest, parameters
from seqcli.train import Position, Task

KIND = "charlm"


@torch.no_grad()
def lm_loss(
    model: CharLM, ids: torch.Tensor, *, batch_size: int = 16, bptt: int = 256
) -> float:
    """Mean nats per character of `ids` (1-D): parallel streams with carried state.

    Each stream is kept at least 1,024 characters long: a stream starts without context.
    """
    batch_size = max(1, min(batch_size, ids.numel() // 1024))
    data = streams(ids, batch_size)
    total, count, state = 0.0, 0, None
    for i in range(0, data.size(1) - 1, bptt):
        x = data[:, i : i + bptt]
        y = data[:, i + 1 : i + 1 + bptt]
        x = x[:, : y.size(1)]
        logits, state, _ = model(x, state)
        total += F.cross_entropy(
            logits.flatten(0, 1).float(), y.flatten(), reduction="sum"
        ).item()
        count += y.numel()
    if count == 0:
        raise SeqcliError("the text is too short to score (at least 2 characters)")
    return total / count


def lm_metrics(loss: float) -> dict[str, float]:
    return {"loss": loss, "bpc": loss / math.log(2), "perplexity": math.exp(loss)}


class CharLMTask(Task):
    """Batches, loss and dev metrics of the char-LM for the shared training loop."""

    metric = "loss"
    higher_is_better = False

    def __init__(
        self,
        train_ids: torch.Tensor,
        dev_ids: torch.Tensor,
        *,
        batch_size: int,
        bptt: int,
        state_names: tuple[str, ...],
        device: torch.device,
        per_char: float = 1.0,
        rank: int = 0,
        world: int = 1,
    ):
        # under torchrun each rank reads its own `batch_size` of the world's streams
        total, self.bptt = fit_batch_shape(train_ids.numel(), batch_size * world, bptt)
        self.batch_size = max(1, total // world)
        rows = slice(rank * self.batch_size, (rank + 1) * self.batch_size)
        self.ids = train_ids  # all ranks' data, for the digest
        self.data = streams(train_ids, self.batch_size * world)[rows].to(device)
        self.dev = dev_ids.to(device)
        self.state: State | None = None
        self.state_names = state_names  # the carried state's parts, in saved states
        self.per_char = per_char  # units per character of the dev text

    def steps_per_epoch(self) -> int:
        return (self.data.size(1) - 1) // self.bptt

    def batches(self, epoch: int, start: int) -> Iterator[tuple[torch.Tensor, ...]]:
        if start == 0:
            self.state = None  # each epoch starts the streams afresh
        t = self.bptt
        for step in range(start, self.steps_per_epoch()):
            i = step * t
            yield self.data[:, i : i + t], self.data[:, i + 1 : i + 1 + t]

    def loss(self, model: CharLM, batch) -> tuple[torch.Tensor, int]:
        x, y = batch
        _, state, loss = model(x, self.state, y)
        self.state = tuple(s.detach() for s in state)
        return loss, y.numel()

    def evaluate(self, model: CharLM) -> dict[str, float]:
        return lm_metrics(lm_loss(model, self.dev) * self.per_char)

    def training_data(self) -> tuple:
        return (self.ids,)

    def state_tensors(self) -> dict[str, torch.Tensor]:
        if self.state is None:
            return {}
        return dict(zip(self.state_names, self.state, strict=True))

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        self.state = tuple(tensors[k] for k in self.state_names) if tensors else None


class CharLMRecipe(Recipe):
    """A char-LM on text files; dev is the corpus's last part, the text most like
    what follows it.

    Args:
        paths: the training text files.
        dev_path: dev text; by default the last `dev_fraction` of the corpus.
    """

    kind = KIND
    network = CharLM
    dev_at_end = True
    min_part = 2  # characters: one to read, one to predict
    dev_fraction = 0.05

    def __init__(self, paths: list[str], dev_path: str | None = None, **options):
        super().__init__(**options)
        self.paths, self.dev_path = paths, dev_path

    def read(self) -> tuple[str, str | None]:
        text = read_corpus(self.paths, self.errors)
        dev = read_corpus([self.dev_path], self.errors) if self.dev_path else None
        return text, dev

    def take(self, text: str, indices) -> str:
        return text[indices[0] : indices[-1] + 1] if len(indices) else ""

    def join(self, train: str, dev: str) -> str:
        return train + dev

    def manifest(self, config: CharLMConfig, train: str, dev: str) -> dict:
        if config.units != "char" and config.direction == "backward":
            raise OptionError("a backward char-LM reads characters: leave out --units")
        _, vocab, merges = units.build(
            config.units, [train, dev], config.unit_vocab, config.lang
        )
        config.vocab_size = len(vocab)
        vocabs = {"chars": vocab.to_dict()} | ({"merges": merges} if merges else {})
        return new_manifest(
            KIND,
            config,
            vocabs,
            data=[str(p) for p in self.paths],
            dev=self.dev_path or f"last {self.dev_fraction:.0%} of the data",
        )

    def task(self, model, manifest, train, dev, *, settings, device) -> CharLMTask:
        vocab = manifest.vocab("chars")
        reader = units.Units.from_manifest(manifest)
        if manifest.direction == "backward":
            train, dev = train[::-1], dev[::-1]
        train_units, dev_units = reader.split(train), reader.split(dev)
        unknown = vocab.unknown(train_units + dev_units)
        if unknown:
            console.warn(
                f"{len(unknown)} unit(s) not in the vocabulary: {unknown[:10]}"
            )
        return CharLMTask(
            torch.tensor(vocab.encode(train_units), dtype=torch.long),
            torch.tensor(vocab.encode(dev_units), dtype=torch.long),
            batch_size=model.cfg.batch_size,
            bptt=model.cfg.bptt,
            state_names=model.rnn.state_names,
            # dev loss in nats per character, whatever the units
            per_char=len(dev_units) / max(1, len(dev)),
            device=device,
            rank=distributed.rank(),
            world=distributed.world_size(),
        )

    def describe(self, name: str, model: CharLM, train: str, dev: str) -> str:
        return (
            f"{KIND} {name}: {len(train):,} training characters, {len(dev):,} dev, "
            f"vocabulary {model.cfg.vocab_size}, {parameters(model):,} parameters"
        )


def train(*data, **options) -> Position:
    """Train (or resume) a char-LM on text files and keep its best dev checkpoint.

    `data` and the options: those of CharLMRecipe and of seqcli.recipe.train.
    Returns the training loop's final Position.
    """
    return seqcli.recipe.run(CharLMRecipe, *data, **options)


def evaluate(
    model: CharLM,
    manifest: dict,
    *,
    files: list[str],
    encoding_errors: str = "strict",
) -> dict:
    """`seqcli eval` for a char-LM: {loss (nats/char), bpc, perplexity, characters}."""
    if not files:
        raise OptionError("give the text file(s) to score")
    manifest = Manifest.of(manifest)
    vocab = manifest.vocab("chars")
    text = read_corpus(files, encoding_errors)
    if manifest.direction == "backward":
        text = text[::-1]
    split = units.Units.from_manifest(manifest).split(text)
    unknown = vocab.unknown(split)
    if unknown:
        console.warn(
            f"{len(unknown)} character(s) the model never saw are scored as unknown: "
            f"{unknown[:10]}"
        )
    ids = torch.tensor(vocab.encode(split), device=next(model.parameters()).device)
    # nats per character whatever the units, so that models of any units compare
    per_char = len(split) / max(1, len(text))
    return lm_metrics(lm_loss(model, ids) * per_char) | {"characters": len(text)}
