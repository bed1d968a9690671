"""One training loop for every model kind.

A task (see `Task`) turns a model and data into batches, losses and dev metrics; `fit`
does the rest: AdamW, warm-up and cosine learning rate, gradient clipping, an optional
moving average of the weights, dev evaluation, keeping the best checkpoint, early
stopping, a time budget, progress on stderr, and a resumable state on Ctrl-C
(seqcli/resume.py). The steps every kind takes around it are in seqcli/recipe.py.
"""

from __future__ import annotations

import contextlib
import math
import signal
import time
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import torch

from seqcli import console, distributed
from seqcli.config import TrainConfig
from seqcli.device import autocast, seed_everything
from seqcli.errors import SeqcliError
from seqcli.resume import Position, read_state, write_state
from seqcli.store import Store


class Task:
    """What `fit` needs to know about a model kind: each kind's recipe subclasses it.

    Attributes:
        metric: the dev metric that picks the best checkpoint.
        higher_is_better: its direction.
    """

    metric: str
    higher_is_better: bool

    def steps_per_epoch(self) -> int:
        raise NotImplementedError

    def batches(self, epoch: int, start: int) -> Iterator[Any]:
        """The batches of an epoch from step `start` (to resume mid-epoch)."""
        raise NotImplementedError

    def loss(self, model: torch.nn.Module, batch: Any) -> tuple[torch.Tensor, int]:
        """(mean loss, tokens in the batch)."""
        raise NotImplementedError

    def evaluate(self, model: torch.nn.Module) -> dict[str, float]:
        raise NotImplementedError

    def training_data(self) -> tuple:
        """The training data as the model reads it (ids, tensors), which a resumed
        run must find unchanged (seqcli.data.digest)."""
        raise NotImplementedError

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """What carries over from step to step besides the weights (e.g. LSTM
        states), for the resumable state."""
        return {}

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        """Restore what `state_tensors` gave."""


class Interrupted(Exception):
    """Training stopped by Ctrl-C after saving a resumable state."""


def fit(
    model: torch.nn.Module,
    task: Task,
    cfg: TrainConfig,
    *,
    store: Store,
    name: str,
    manifest: dict,
    device: torch.device,
    data_digest: str,
    resume: bool = False,
    dev: bool = True,
) -> Position:
    """Train `model` on `task`, saving its best dev checkpoint to `store` as `name`.

    `manifest` holds what describes the model (kind, config, vocabularies); metrics,
    history and training settings are added on each save. `data_digest` (a sha256 of
    the training data) is kept in it: a resumed run must read the same data. With
    `dev` False (the dev data is part of the training data) nothing is evaluated:
    the weights are saved where evaluations would be, and the last ones are kept. A
    resumable state is written at each dev evaluation, every `cfg.save_every`
    minutes between them, on Ctrl-C or SIGTERM and at the end; the model's lock is
    held throughout (by rank 0 under torchrun). Raises Interrupted on Ctrl-C.
    """
    manifest.setdefault("training", {})["sha256"] = data_digest
    guard = store.lock(name) if distributed.is_main() else contextlib.nullcontext()
    with guard:
        return _fit(
            model, task, cfg, store, name, manifest, device, data_digest, resume, dev
        )


def _fit(model, task, cfg, store, name, manifest, device, data_digest, resume, dev):
    seed_everything(cfg.seed)
    model.to(device)
    averaged = _moving_average(model, cfg.ema)  # copied before DDP hooks the model
    net = distributed.wrap(model, device)  # the model itself in a single process
    opt = _optimizer(model, cfg)
    pos = Position()
    if resume:
        pos = read_state(store, name, model, opt, task, device, averaged, data_digest)
    kept = model if averaged is None else averaged.module  # what is evaluated and saved
    total = max(1, cfg.steps or cfg.epochs * task.steps_per_epoch())
    last_eval_seconds = 0.0
    run_start, run_elapsed0 = time.monotonic(), pos.elapsed
    last_state = run_start  # when the resumable state was last written

    def elapsed() -> float:
        return run_elapsed0 + time.monotonic() - run_start

    def progress() -> float:
        done = pos.global_step / total
        if cfg.time_budget:
            done = max(done, elapsed() / cfg.time_budget)
        return done

    def diverged(loss: float | None = None) -> SeqcliError:
        """The error that ends a training whose loss or weights are no longer
        finite: nothing is saved from then on, the last good model stays."""
        what = "the weights" if loss is None else f"the loss ({loss})"
        kept_model = (
            f"the best model so far ({task.metric} {pos.best:.4g}) is kept"
            if pos.best is not None
            else "no model was saved"
        )
        return SeqcliError(
            f"training stopped after {pos.global_step} steps: {what} became "
            f"infinite or NaN; {kept_model}; try a lower --lr or a --clip"
        )

    def save_state() -> None:
        nonlocal last_state
        if not _finite(model):
            raise diverged()
        pos.elapsed = elapsed()
        write_state(store, name, model, opt, task, pos, manifest, cfg, averaged)
        last_state = time.monotonic()

    def evaluate() -> bool:
        """Dev metrics, save if best, then the resumable state; True when training
        should stop early."""
        nonlocal last_eval_seconds
        t0 = time.monotonic()
        kept.eval()
        with torch.no_grad(), autocast(device):
            metrics = task.evaluate(kept) if dev else {}
        model.train()
        last_eval_seconds = time.monotonic() - t0
        value = metrics.get(task.metric, 0.0)
        if not (math.isfinite(value) and _finite(kept)):
            raise diverged()
        # without dev the latest weights are the ones kept
        better = (
            not dev
            or pos.best is None
            or (value > pos.best if task.higher_is_better else value < pos.best)
        )
        epoch = pos.epoch + pos.step / task.steps_per_epoch()
        pos.elapsed = elapsed()  # the saved manifest's training seconds
        pos.history.append(
            {"epoch": round(epoch, 3), "step": pos.global_step}
            | {"seconds": round(pos.elapsed, 1)}
            | ({"train_loss": round(loss_ema, 4)} if loss_ema is not None else {})
            | metrics
        )
        shown = " ".join(f"{k} {v:.4g}" for k, v in metrics.items())
        console.info(
            f"epoch {epoch:.2f} step {pos.global_step}: "
            + (f"dev {shown}" if dev else f"loss {loss_ema or math.nan:.4g}")
            + (" (best, saved)" if better and dev else " (saved)" if better else "")
        )
        if better:
            pos.best = value if dev else None
            pos.bad_evals = 0
            if distributed.is_main():
                state = kept.state_dict()
                store.save(name, state, _manifest(manifest, cfg, pos, metrics))
        else:
            pos.bad_evals += 1
        save_state()
        return pos.bad_evals >= cfg.patience

    model.train()
    run_tokens, loss_ema = 0, None
    with _StopFlag() as interrupted, console.Progress(f"training {name}") as bar:
        while pos.epoch < cfg.epochs and not pos.stopped:
            for batch in task.batches(pos.epoch, pos.step):
                over = bool(cfg.time_budget) and (
                    elapsed() + last_eval_seconds >= cfg.time_budget
                )
                due = bool(cfg.save_every) and (
                    time.monotonic() - last_state >= 60 * cfg.save_every
                )
                stop, over, due = distributed.agree(
                    [interrupted.is_set, over, due], device
                )
                if stop:
                    save_state()
                    raise Interrupted
                if due:
                    save_state()
                if over:
                    pos.stopped = "time budget"
                    break
                if cfg.steps and pos.global_step >= cfg.steps:
                    pos.stopped = "steps done"
                    break
                for group in opt.param_groups:
                    group["lr"] = _lr(cfg, pos.global_step, progress())
                with autocast(device):
                    loss, n_tokens = task.loss(net, batch)
                value = loss.item()
                # all ranks stop together, before a step that would spoil the weights
                (bad,) = distributed.agree([not math.isfinite(value)], device)
                if bad:
                    raise diverged(value)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.clip:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
                opt.step()
                if averaged is not None:
                    averaged.update_parameters(model)
                pos.step += 1
                pos.global_step += 1
                pos.tokens += n_tokens
                run_tokens += n_tokens
                loss_ema = value if loss_ema is None else 0.95 * loss_ema + 0.05 * value
                rate = run_tokens / max(time.monotonic() - run_start, 1e-9)
                bar.update(progress(), f"loss {loss_ema:.3f}  {rate:,.0f} tok/s")
                if dev and cfg.eval_every and pos.global_step % cfg.eval_every == 0:
                    if evaluate():
                        pos.stopped = "early stopping"
                if pos.stopped:
                    break
            else:
                pos.epoch, pos.step = pos.epoch + 1, 0
                if not cfg.eval_every and evaluate():
                    pos.stopped = "early stopping"
                continue
            break
        # the last weights are evaluated too (with --eval-every, the epochs may end
        # between evaluations, or before the first)
        if pos.stopped in ("", "time budget", "steps done") and (
            not pos.history or pos.history[-1]["step"] != pos.global_step
        ):
            evaluate()
    pos.stopped = pos.stopped or "epochs done"
    save_state()
    return pos


def _finite(model: torch.nn.Module) -> bool:
    """Whether every weight is a finite number (checked before anything is saved)."""
    with torch.no_grad():
        return all(bool(torch.isfinite(p).all()) for p in model.parameters())


def _moving_average(model: torch.nn.Module, decay: float):
    """An exponential moving average of the weights (torch's AveragedModel), or None.

    The decay starts low, (1 + n) / (10 + n) after n updates, and rises to `decay`:
    early on a fixed 0.999 would mostly average the random initial weights.
    """
    if not decay:
        return None

    @torch.no_grad()
    def update(averaged: list, current: list, n: torch.Tensor) -> None:
        weight = 1 - min(decay, (1 + n.item()) / (10 + n.item()))
        for a, c in zip(averaged, current, strict=True):
            a.lerp_(c, weight)

    return torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=update)


def _lr(cfg: TrainConfig, step: int, progress: float) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    if cfg.schedule == "constant":
        return cfg.lr
    floor = cfg.lr * cfg.min_lr
    return floor + (cfg.lr - floor) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def _optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    # one kernel for all parameters: on the CPU the update takes 5 ms instead of 25
    # for the translator's 5.8 M weights (the same update, the same state)
    fused = params[0].device.type in ("cpu", "cuda")
    kind = torch.optim.Adam if cfg.optimizer == "adam" else torch.optim.AdamW
    return kind(params, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=fused)


def _manifest(base: dict, cfg: TrainConfig, pos: Position, metrics: dict) -> dict:
    return {
        **base,
        "metrics": metrics,
        "history": pos.history,
        "training": {
            **base.get("training", {}),
            "settings": asdict(cfg),
            "steps": pos.global_step,
            "tokens": pos.tokens,
            "seconds": round(pos.elapsed, 1),
        },
    }


class _StopFlag:
    """Ctrl-C (SIGINT) or SIGTERM sets a flag checked between steps, so a step is never
    cut in half; a second signal interrupts at once."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __enter__(self) -> _StopFlag:
        self.is_set = False
        try:
            self.previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        except ValueError:  # not the main thread: leave the signals alone
            self.previous = {}
        return self

    def _handle(self, signum, frame) -> None:
        if self.is_set:
            raise KeyboardInterrupt
        self.is_set = True
        console.info("stopping after this step (Ctrl-C again to abort)")

    def __exit__(self, *exc) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
