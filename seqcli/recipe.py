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
from dataclasses import asdict
from typing import Any

import torch

from seqcli import console
from seqcli.config import TrainConfig
from seqcli.data import digest, held_out
from seqcli.device import seed_everything
from seqcli.errors import OptionError, SeqcliError
from seqcli.manifest import Manifest
from seqcli.store import Store
from seqcli.train import Position, Task, fit


def new_manifest(kind: str, config: Any, vocabs: dict, **training: Any) -> Manifest:
    """What describes a new model: its kind, settings and vocabularies, and what it
    is trained on (`training`: data, dev...)."""
    return Manifest(kind=kind, config=asdict(config), vocabs=vocabs, training=training)


def resumed_manifest(store: Store, name: str) -> Manifest:
    """The manifest of the run saved under `name`, to continue it."""
    return Manifest(store.state_meta(name)["manifest"])


def initial_model(network: type, manifest: dict, seed: int) -> torch.nn.Module:
    """The `network` (a kind's nn.Module class) that a manifest describes, with
    initial weights drawn from `seed`."""
    seed_everything(seed)
    return network.from_manifest(manifest)


def parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


class Recipe:
    """A kind's training data and how its model learns from it.

    Attributes:
        kind: the kind's name (seqcli.kinds).
        network: its nn.Module class, built by `from_manifest`.
        dev_at_end: dev is the data's last part (text whose order matters), not a
            seeded random part.
        min_part: the fewest items that a training or dev part can have.
        dev_fraction: the part held back for dev when no dev data is given.

    Args (of every recipe, after the kind's own):
        dev_fraction: instead of the kind's.
        encoding_errors: "strict" or "replace" for bytes that are not UTF-8.
        store: the store the model is trained into (a recipe may read other
            models from it).
        resume: whether the run continues one saved under its name.
    """

    kind: str
    network: type
    dev_at_end = False
    min_part = 1
    dev_fraction = 0.1

    def __init__(
        self,
        *,
        dev_fraction: float | None = None,
        encoding_errors: str = "strict",
        store: Store | None = None,
        resume: bool = False,
    ):
        self.dev_fraction = dev_fraction or self.dev_fraction
        self.errors = encoding_errors
        self.store, self.resume = store, resume

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

    def complete(self, store: Store, name: str, task: Task, *, device) -> None:
        """What the kind fits from its training data once the network is trained (a
        classifier's bag of n-grams); run for a model trained on its dev data too."""

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


# seqcli.recipe.train's own keywords; the others are the recipe's
RUN = ("name", "store", "device", "settings", "config", "resume", "with_dev")


def run(recipe: type[Recipe], *data: Any, **options: Any) -> Position:
    """Train (or resume) with a kind's recipe: the options `train` takes go there,
    `data` and the others make the recipe (see its class for them)."""
    run = {k: options.pop(k) for k in RUN if k in options}
    made = recipe(*data, store=run["store"], resume=run.get("resume", False), **options)
    return train(made, **run)


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
    if resume and with_dev:
        raise OptionError("--with-dev is kept from the run being resumed")
    manifest = resumed_manifest(store, name) if resume else None
    if manifest is not None:
        joined = manifest.training.get("with_dev")
    else:
        joined = _dev_run(store, with_dev, recipe.kind) if with_dev else None
    train_data, dev_data = recipe.read()
    if dev_data is None:
        train_data, dev_data = recipe.split_dev(train_data, settings.seed)
    if joined:
        train_data = recipe.join(train_data, dev_data)
    if manifest is None:
        manifest = recipe.manifest(config, train_data, dev_data)
        manifest["training"]["with_dev"] = joined
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
    recipe.complete(store, name, task, device=device)
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
