"""Loading a stored model for inference the fastest way, start-up included: a
numpy copy, the exported graphs cached in the store, or PyTorch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqcli import console, kinds, onnx
from seqcli.device import cpu_only, pick_device

if TYPE_CHECKING:
    from seqcli.store import Store


def load(store: Store, name: str, kind: str, device: str | None, small: bool):
    """(model, manifest) that runs fastest, start-up included, when the device is
    surely the CPU: for a small input to an LSTM with a numpy copy (char-LM, tagger)
    that copy; where the kind's exported graphs serve this input, those graphs,
    cached in the store (see seqcli.onnx.cached); else the PyTorch model. Importing
    PyTorch takes longer than tagging or translating a few lines."""
    manifest = store.manifest(name, kind)
    spec = kinds.get(kind)
    if cpu_only(device):
        # a tagger's context char-LMs too
        configs = [manifest["config"]]
        configs += [lm["config"] for lm in manifest.get("context", {}).values()]
        lstm = all(c.get("cell", "lstm") == "lstm" for c in configs)
        if small and lstm and spec.numpy:
            console.info("device: cpu (numpy)")
            return kinds.load_numpy(store, name, kind, manifest)
        if spec.onnx == "all" or (small and spec.onnx == "small"):
            graphs = onnx.cached(store, name, manifest)
            if graphs is not None:
                console.info("device: cpu (onnxruntime)")
                return spec.module("runtime").build(graphs), manifest
    return kinds.load(store, name, kind, pick_device(device), manifest)
