"""The model kinds, and loading a stored model of any kind.

Each kind is one package with the same parts: `config` (its settings, no torch),
`model` (the nn.Module, built by `from_manifest`), `data`, `recipe` (its Recipe for
seqcli.recipe, `train` and `evaluate`), `decode` and `export` (its ONNX graphs).
Everything above the kinds finds a kind's parts here: loading and `seqcli eval` by
the kind's name in a manifest, the command line and the server by the command that
runs it (`seqcli/cli/COMMAND.py`, the API's method and the server's `/v1/COMMAND`).
Adding a kind is adding its package, a line to KINDS, its command and its API class.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from seqcli.errors import SeqcliError
from seqcli.manifest import Manifest

if TYPE_CHECKING:
    import torch

    from seqcli.store import Store


@dataclass(frozen=True)
class Kind:
    name: str
    package: str  # holds config, model, data, recipe and decode
    config: str  # the settings dataclass in package.config
    model: str  # the nn.Module in package.model
    builtin: str  # the built-in model its command uses by default
    command: str  # what runs it: seqcli COMMAND, the API's method, /v1/COMMAND

    def module(self, part: str) -> ModuleType:
        return importlib.import_module(f"{self.package}.{part}")

    def config_class(self) -> type:
        return getattr(self.module("config"), self.config)

    def model_class(self) -> type:
        return getattr(self.module("model"), self.model)


KINDS = {
    kind.name: kind
    for kind in (
        Kind("charlm", "seqcli.charlm", "CharLMConfig", "CharLM", "shakespeare",
             "generate"),
        Kind("tagger", "seqcli.tagger", "TaggerConfig", "Tagger", "conll-en", "tag"),
        Kind("translator", "seqcli.translator", "TranslatorConfig", "Translator",
             "multi30k-en-de", "translate"),
        Kind("classifier", "seqcli.classifier", "ClassifierConfig", "Classifier",
             "sentiment-en", "classify"),
    )
}  # fmt: skip


def get(name: str | None) -> Kind:
    if name not in KINDS:
        raise SeqcliError(f"unknown model kind {name!r} (kinds: {', '.join(KINDS)})")
    return KINDS[name]


def build(manifest: dict) -> torch.nn.Module:
    """The untrained model a manifest describes."""
    return get(Manifest.of(manifest).kind).model_class().from_manifest(manifest)


def load(
    store: Store,
    name: str,
    kind: str | None,
    device: torch.device,
    manifest: dict | None = None,
):
    """(model in eval mode on device, manifest) for a stored model, checked for kind
    (the manifest, if given, as read from the store already)."""
    manifest = manifest or store.manifest(name, kind)
    if manifest.kind not in KINDS:
        raise SeqcliError(f"model {name!r} has unknown kind {manifest.kind!r}")
    model = store.load_weights(build(manifest), name, manifest)
    return model.to(device), manifest


def load_numpy(store: Store, name: str, kind: str, manifest: dict | None = None):
    """(model, manifest): the kind's numpy copy (its `numpy_model.build`) of a
    stored LSTM model, without importing PyTorch."""
    manifest = manifest or store.manifest(name, kind)
    weights = store.tensors(name, manifest, numpy=True)
    try:
        return get(kind).module("numpy_model").build(manifest, weights), manifest
    except (KeyError, TypeError, ValueError):
        raise SeqcliError(
            f"model {name!r} is damaged: its weights do not fit its configuration"
        ) from None
