"""Training a model of any kind: one skeleton, each kind's parts as hooks.

Every kind trains in the same steps:

    read the data → hold back dev (unless dev data is given) → with --with-dev,
    dev joins the training data → the manifest (new, or the resumed run's) →
    the model → the kind's task → seqcli.train.fit

A kind's recipe (`seqcli/<kind>/recipe.py`) subclasses `Recipe` with its hooks, and
`train` runs them in that order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from seqcli import console
from seqcli.config import TrainConfig
from seqcli.data import digest, held_out
from seqcli.errors import OptionError, SeqcliError
from seqcli.store import Store
from seqcli.train import Position, Task, fit, initial_model, resumed_manifest


class Recipe:
    """A kind's training data and how its model learns from it.

    Attributes:
        kind: the kind's name (seqcli.kinds).
        network: its nn.Module class, built by `from_manifest`.
        dev_at_end: dev is the data's last part (text whose order matters), not a
            seeded random part.
        min_part: the fewest items that a training or dev part can have.
    """

    kind: str
    network: type
    dev_at_end = False
    min_part = 1

    def __init__(self, *, dev_fraction: float, encoding_errors: str = "strict"):
        self.dev_fraction = dev_fraction
        self.errors = encoding_errors

    # --- the hooks ---

    def read(self) -> tuple[Any, Any | None]:
        """(training data, dev data or None when none is given)."""
        raise NotImplementedError

    def count(self, data: Any) -> int:
        """The items of data that dev is held back from (sentences, lines...)."""
        return len(data)

    def take(self, data: Any, indices: Sequence[int]) -> Any:
        """The items of data at `indices`, in that order."""
        raise NotImplementedError

    def join(self, train: Any, dev: Any) -> Any:
        """Training data and dev data as one (--with-dev)."""
        raise NotImplementedError

    def manifest(self, config: Any, train: Any, dev: Any) -> dict:
        """The manifest of a new model: its settings and vocabularies from `train`."""
        raise NotImplementedError

    def task(
        self,
        model: torch.nn.Module,
        manifest: dict,
        train: Any,
        dev: Any,
        *,
        settings: TrainConfig,
        device: torch.device,
    ) -> Task:
        """The kind's Task for `fit` (it may also start the model's weights from
        vectors or other models, as a new run asks)."""
        raise NotImplementedError

    def after_fit(self, store: Store, name: str, task: Task, *, device) -> None:
        """What the kind learns from dev once the model is trained (a classifier's
        calibration); not run for a model trained on its dev data."""

    def describe(self, name: str, model: torch.nn.Module, train: Any, dev: Any) -> str:
        """One line about the run, for stderr."""
        return f"{self.kind} {name}"

    # --- the skeleton's parts ---

    def split_dev(self, data: Any, seed: int) -> tuple[Any, Any]:
        """(train, dev): `dev_fraction` of the data held back for dev."""
        n = self.count(data)
        if self.dev_at_end:
            cut = n - max(1, int(n * self.dev_fraction))
            parts: tuple[Sequence[int], Sequence[int]] = (range(cut), range(cut, n))
        else:
            parts = held_out(n, self.dev_fraction, seed)
        if min(map(len, parts)) < self.min_part:
            raise SeqcliError(
                f"the training data ({n} items) is too small to hold back a dev "
                "part; give one with --dev"
            )
        train, dev = parts
        return self.take(data, train), self.take(data, dev)


def train(
    recipe: Recipe,
    *,
    name: str,
    store: Store,
    device: torch.device,
    settings: TrainConfig,
    config: Any,
    resume: bool = False,
    with_dev: str | None = None,
) -> Position:
    """Train (or resume) the model `recipe` describes and keep it in `store` as
    `name`: its best dev checkpoint, or with `with_dev` (the name of the same
    recipe's run with dev) its last weights after training on the training and dev
    data together for the epochs that run took to its best checkpoint.

    Returns:
        The training loop's final Position.
    """
    train_data, dev_data = recipe.read()
    if dev_data is None:
        train_data, dev_data = recipe.split_dev(train_data, settings.seed)
    if resume:
        manifest = resumed_manifest(store, name)
        if with_dev:
            raise OptionError("--with-dev is kept from the run being resumed")
        joined = manifest.training.get("with_dev")
    else:
        joined = _dev_run(store, with_dev, recipe.kind) if with_dev else None
        if joined:
            train_data = recipe.join(train_data, dev_data)
        manifest = recipe.manifest(config, train_data, dev_data)
        manifest.setdefault("training", {})["with_dev"] = joined
    if joined and resume:
        train_data = recipe.join(train_data, dev_data)
    model = initial_model(recipe.network, manifest, settings.seed)
    task = recipe.task(
        model, manifest, train_data, dev_data, settings=settings, device=device
    )
    if joined:
        # as many epochs of the larger data as the dev run's best checkpoint took
        settings.steps = max(1, round(joined["epochs"] * task.steps_per_epoch()))
        settings.epochs = max(settings.epochs, math.ceil(joined["epochs"]))
        joined["steps"] = settings.steps
        console.info(
            f"with dev: {joined['epochs']:g} epochs ({settings.steps} steps), as "
            f"{joined['model']!r} took to its best checkpoint"
        )
    console.info(recipe.describe(name, model, train_data, dev_data))
    pos = fit(
        model,
        task,
        settings,
        store=store,
        name=name,
        manifest=manifest,
        device=device,
        resume=resume,
        data_digest=digest(*task.training_data()),
        dev=not joined,
    )
    if not joined:
        recipe.after_fit(store, name, task, device=device)
    return pos


def _dev_run(store: Store, name: str, kind: str) -> dict:
    """What --with-dev takes from the run `name`: the epochs to its best checkpoint."""
    manifest = store.manifest(name, kind)
    if manifest.training.get("with_dev"):
        raise OptionError(
            f"--with-dev {name}: that model was trained with its dev data; give the "
            "run that dev chose"
        )
    best = manifest.training.get("steps")
    epochs = [h["epoch"] for h in manifest.history if h["step"] == best]
    if not epochs:
        raise OptionError(
            f"--with-dev {name}: its history does not say when its best checkpoint "
            "was saved"
        )
    return {"model": name, "epochs": epochs[-1]}
