"""Running a stored model: the one place that picks how.

A model runs as PyTorch (GPUs, torchrun, large inputs where PyTorch's int8 decoding
is faster), as its exported graphs under onnxruntime (the CPU, without importing
PyTorch, which takes longer than tagging or translating a few lines), or, for one
char-LM stream, as numpy (seqcli/charlm/numpy_model.py: one step is a matrix-vector
product, where onnxruntime's per-call cost is larger than the step). The thresholds
below are the only ones; the command line and the Python API both load through
`Model`, so a library user gets the command's speed and records.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from seqcli import console, kinds, onnx
from seqcli.device import check_name, cpu_only, pick_device

if TYPE_CHECKING:
    from seqcli.store import Store

# on the CPU, inputs of at most this many rows (lines, sentences, or char-LM
# streams) run on the exported graphs; PyTorch beyond (bench/startup.py,
# bench/graph_rows.py: 64 lines take a translator 0.03 s longer on the graphs, where
# importing PyTorch takes 1.5 to 2 s; a classifier's graphs are faster at every size)
GRAPH_ROWS = {"tagger": math.inf, "translator": 64, "classifier": math.inf, "charlm": 0}
# a char-LM's single stream runs on numpy (bench/charlm.py: "one-stream step")
NUMPY_ROWS = {"charlm": 1}
BACKEND_NAMES = {"onnx": "onnxruntime", "numpy": "numpy"}


def peek(kind: str) -> int:
    """How many rows of input to read before loading: one more than the largest
    input that the lighter backends serve, or one (nothing is loaded for an empty
    input)."""
    rows = GRAPH_ROWS.get(kind, 0)
    return 1 if math.isinf(rows) or not rows else rows + 1


class Model:
    """A stored model, loaded once per backend as inputs ask for one.

    `network(rows)` gives the network for an input of `rows` rows: a PyTorch module,
    the kind's onnxruntime runner (`{kind}/runtime.py`) or its numpy copy; each has
    what the kind's decoding functions call."""

    def __init__(
        self, store: Store, name: str, kind: str | None = None, device: Any = None
    ):
        check_name(device)  # a device that cannot exist fails before any work
        self.store, self.name, self.device = store, name, device
        self.manifest = store.manifest(name, kind)
        self.kind = self.manifest.kind
        kinds.get(self.kind)  # an unknown kind fails here
        self.manifest.check_runnable()
        self.loaded: dict[str, Any] = {}

    def backend(self, rows: int) -> str:
        """ "numpy", "onnx" or "torch" for an input of `rows` rows."""
        if not cpu_only(self.device):
            return "torch"
        lstm = all(cell == "lstm" for cell in self.manifest.cells)
        if self.kind in NUMPY_ROWS and lstm and rows <= NUMPY_ROWS[self.kind]:
            return "numpy"
        if rows <= GRAPH_ROWS.get(self.kind, 0):
            return "onnx"
        return "torch"

    def network(self, rows: int) -> Any:
        backend = self.backend(rows)
        if backend not in self.loaded:
            network = getattr(self, f"_{backend}")()
            if network is None:  # no graphs here (onnxruntime missing, read-only)
                backend, network = "torch", self.loaded.get("torch") or self._torch()
            self.loaded[backend] = network
            if backend != "torch":  # PyTorch's device is reported by pick_device
                console.info(f"device: cpu ({BACKEND_NAMES[backend]})")
        return self.loaded[backend]

    def _torch(self):
        return kinds.load(
            self.store, self.name, self.kind, pick_device(self.device), self.manifest
        )[0]

    def _numpy(self):
        return kinds.load_numpy(self.store, self.name, self.kind, self.manifest)[0]

    def _onnx(self):
        graphs = cached_graphs(self.store, self.name, self.manifest)
        if graphs is None:
            return None
        return kinds.get(self.kind).module("runtime").build(graphs)


def cached_graphs(store: Store, name: str, manifest: dict) -> onnx.Graphs | None:
    """The model's exported graphs, cached in the store (seqcli.onnx.cached)."""

    def network():  # PyTorch, only when the graphs must be exported
        import torch

        return kinds.load(store, name, None, torch.device("cpu"), manifest)[0]

    return onnx.cached(store, name, manifest, network)


def load(store: Store, name: str, kind: str, device: str | None, rows: int):
    """(network, manifest) of a stored model for an input of `rows` rows."""
    model = Model(store, name, kind, device)
    return model.network(rows), model.manifest
