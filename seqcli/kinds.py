"""Model kinds and loading a stored model of any kind."""

from __future__ import annotations

import importlib

import torch

from seqcli.errors import SeqcliError
from seqcli.store import Store

KINDS = {
    "charlm": "seqcli.charlm",
    "translator": "seqcli.translator",
    "tagger": "seqcli.tagger",
}


def load(store: Store, name: str, kind: str | None, device: torch.device):
    """(model in eval mode on device, manifest) for a stored model, checked for kind."""
    manifest, tensors = store.load(name, kind)
    if manifest.get("kind") not in KINDS:
        raise SeqcliError(f"model {name!r} has unknown kind {manifest.get('kind')!r}")
    module = importlib.import_module(KINDS[manifest["kind"]])
    model = module.from_manifest(manifest)
    # weights may be stored in half precision; compute in full precision
    tensors = {k: v.float() if v.is_floating_point() else v for k, v in tensors.items()}
    try:
        model.load_state_dict(tensors)
    except RuntimeError:
        raise SeqcliError(
            f"model {name!r} is damaged: its weights do not fit its configuration"
        ) from None
    return model.to(device).eval(), manifest
