"""The character-level LSTM language model and its training task.

Training is the classic char-rnn way: the corpus is one stream of character ids cut
into `batch_size` parallel streams, read in windows of `bptt` characters, with the
hidden state carried from one window to the next (detached).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict

import torch
import torch.nn.functional as F
from torch import nn

from seqcli import console, distributed
from seqcli.config import CharLMConfig
from seqcli.errors import SeqcliError

KIND = "charlm"


State = tuple[torch.Tensor, torch.Tensor]  # (h, c), each (layers, batch, hidden)


class CharLM(nn.Module):
    """Embedding → multi-layer LSTM with dropout → linear over characters."""

    def __init__(self, cfg: CharLMConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embedding)
        self.lstm = nn.LSTM(
            cfg.embedding,
            cfg.hidden,
            cfg.layers,
            batch_first=True,
            dropout=cfg.dropout if cfg.layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(cfg.hidden, cfg.vocab_size)

    def forward(
        self,
        ids: torch.Tensor,
        state: State | None = None,
        targets: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, State, torch.Tensor | None]:
        """
        Args:
            ids: (batch, time) character ids.
            state: the carried (h, c), or None to start from zeros.
            targets: (batch, time) next-character ids, for the loss.
        Returns:
            logits (batch, time, vocab), the new state, and the mean cross-entropy
            in nats per character (None without targets).
        """
        # shape: (batch, time, hidden)
        out, state = self.lstm(self.embed(ids), state)
        logits = self.head(self.drop(out))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten())
        return logits, state, loss


def streams(ids: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Cut a 1-D id stream into `batch_size` equal rows (the tail is dropped)."""
    length = ids.numel() // batch_size
    # shape: (batch_size, length)
    return ids[: batch_size * length].view(batch_size, length)


def fit_batch_shape(n_chars: int, batch_size: int, bptt: int) -> tuple[int, int]:
    """Shrink (batch_size, bptt) so that `n_chars` characters give one batch."""
    if n_chars < 2:
        raise SeqcliError(
            f"the corpus has {n_chars} character(s); at least 2 are needed"
        )
    b, t = batch_size, bptt
    if n_chars < b * (t + 1):
        b = max(1, min(b, (n_chars - 1) // t))
        t = min(t, n_chars // b - 1)
        console.warn(
            f"the corpus ({n_chars} characters) is shorter than one batch of "
            f"{batch_size}×{bptt + 1}; using batch size {b} and bptt {t}"
        )
    return b, t


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


class CharLMTask:
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
        device: torch.device,
        rank: int = 0,
        world: int = 1,
    ):
        # under torchrun each rank reads its own `batch_size` of the world's streams
        total, self.bptt = fit_batch_shape(train_ids.numel(), batch_size * world, bptt)
        self.batch_size = max(1, total // world)
        rows = slice(rank * self.batch_size, (rank + 1) * self.batch_size)
        self.data = streams(train_ids, self.batch_size * world)[rows].to(device)
        self.dev = dev_ids.to(device)
        self.state: State | None = None

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
        return lm_metrics(lm_loss(model, self.dev))

    def state_tensors(self) -> dict[str, torch.Tensor]:
        return {} if self.state is None else {"h": self.state[0], "c": self.state[1]}

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        self.state = (tensors["h"], tensors["c"]) if tensors else None


def from_manifest(manifest: dict) -> CharLM:
    return CharLM(CharLMConfig(**manifest["config"]))


def load_corpus(paths: list[str], errors: str = "strict") -> str:
    from seqcli.data import read_text

    text = "".join(read_text(p, errors) for p in paths)
    if not text:
        raise SeqcliError(f"the corpus is empty ({', '.join(paths)})")
    return text


def train(
    paths: list[str],
    *,
    name: str,
    store,
    device: torch.device,
    settings,
    config: CharLMConfig,
    dev_path: str | None = None,
    dev_fraction: float = 0.05,
    resume: bool = False,
    encoding_errors: str = "strict",
):
    """Train (or resume) a char-LM on text files and keep its best dev checkpoint.

    Returns the training loop's final Position.
    """
    import hashlib

    from seqcli.device import seed_everything
    from seqcli.train import fit
    from seqcli.vocab import Vocab, chars

    text = load_corpus(paths, encoding_errors)
    if dev_path:
        dev_text = load_corpus([dev_path], encoding_errors)
    else:
        cut = int(len(text) * (1 - dev_fraction))
        text, dev_text = text[:cut], text[cut:]
        if len(dev_text) < 2 or len(text) < 2:
            raise SeqcliError(
                f"the corpus ({len(text) + len(dev_text)} characters) is too short to "
                "hold back a dev part; give one with --dev FILE"
            )
    if resume:
        manifest = store.load_state(name)[0]["manifest"]
        vocab = Vocab.from_dict(manifest["vocabs"]["chars"])
    else:
        vocab = Vocab.build([chars(text), chars(dev_text)])
        config.vocab_size = len(vocab)
        manifest = {
            "kind": KIND,
            "config": asdict(config),
            "vocabs": {"chars": vocab.to_dict()},
            "training": {
                "data": [str(p) for p in paths],
                "dev": dev_path or f"last {dev_fraction:.0%} of the data",
            },
        }
    train_ids = torch.tensor(vocab.encode(chars(text)), dtype=torch.long)
    dev_ids = torch.tensor(vocab.encode(chars(dev_text)), dtype=torch.long)
    digest = hashlib.sha256(train_ids.numpy().tobytes()).hexdigest()
    if resume and manifest["training"].get("sha256") != digest:
        raise SeqcliError(
            f"the training text differs from the one {name!r} was trained on; "
            "resume needs the same files"
        )
    manifest["training"]["sha256"] = digest
    unknown = vocab.unknown(chars(text + dev_text))
    if unknown:
        console.warn(
            f"{len(unknown)} character(s) not in the vocabulary: {unknown[:10]}"
        )

    seed_everything(settings.seed)  # the initial weights too
    model = from_manifest(manifest)
    config = model.cfg
    task = CharLMTask(
        train_ids,
        dev_ids,
        batch_size=config.batch_size,
        bptt=config.bptt,
        device=device,
        rank=distributed.rank(),
        world=distributed.world_size(),
    )
    n_params = sum(p.numel() for p in model.parameters())
    console.info(
        f"{KIND} {name}: {len(text):,} training characters, {len(dev_text):,} dev, "
        f"vocabulary {len(vocab)}, {n_params:,} parameters"
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


def evaluate_command(
    model: CharLM,
    manifest: dict,
    *,
    files: list[str],
    encoding_errors: str = "strict",
    **_,
) -> dict:
    """`seqcli eval` for a char-LM: {loss (nats/char), bpc, perplexity, characters}."""
    from seqcli.vocab import Vocab, chars

    if not files:
        raise SeqcliError("give the text file(s) to score")
    vocab = Vocab.from_dict(manifest["vocabs"]["chars"])
    text = load_corpus(files, encoding_errors)
    unknown = vocab.unknown(chars(text))
    if unknown:
        console.warn(
            f"{len(unknown)} character(s) the model never saw are scored as unknown: "
            f"{unknown[:10]}"
        )
    ids = torch.tensor(
        vocab.encode(chars(text)), device=next(model.parameters()).device
    )
    return lm_metrics(lm_loss(model, ids)) | {"characters": len(text)}
