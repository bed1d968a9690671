"""Exporting a model's network as ONNX graphs, for running it without PyTorch.

Each kind's `export.py` says which graphs make its network (`graphs`) and what else a
runtime needs to use them (`runtime`: vocabularies, tokenizer settings, tag scheme
and transitions, special ids). The search around the network (sampling, Viterbi, beam
search) is not exported: seqcli runs it, and docs/onnx.md describes
each graph's inputs and outputs so that others can.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqcli.errors import SeqcliError
from seqcli.manifest import Manifest

RUNTIME = "seqcli-onnx.json"  # what a runtime needs besides the graphs
# torch.onnx.export keeps its state in globals: two exports in threads of one
# process (a server's first requests to two models) break each other
EXPORTING = threading.Lock()


@dataclass
class Graph:
    """One network part to export, with example inputs to trace it on."""

    name: str  # the file is NAME.onnx
    module: Any  # a torch.nn.Module
    inputs: dict[str, Any]  # name → example tensor
    outputs: list[str]
    # input or output → {axis: name} of the sizes that may vary
    dynamic: dict[str, dict[int, str]] = field(default_factory=dict)
    doc: str = ""


def export(
    name: str, model, manifest: dict, folder: Path, int8: bool = False
) -> list[Path]:
    """Write the model's graphs and the runtime JSON into `folder`; returns the
    files written. int8: the graphs' LSTMs with int8 weights (see `quantize`)."""
    import torch

    manifest = Manifest.of(manifest)
    module = export_module(model)
    folder.mkdir(parents=True, exist_ok=True)
    model = model.cpu().eval()
    written, described = [], {}
    for graph in module.graphs(model, manifest):
        path = folder / f"{graph.name}.onnx"
        try:
            # the exporter logs notes and warns of its own deprecation: not the
            # user's business, and stdout is kept for data
            with (
                warnings.catch_warnings(),
                torch.no_grad(),
                contextlib.redirect_stdout(sys.stderr),
                native_stderr_without(PACKING_NOTE),
            ):
                warnings.simplefilter("ignore")
                logging.getLogger("torch.onnx").setLevel(logging.ERROR)
                # the TorchScript exporter: it writes nn.LSTM as ONNX's LSTM, whose
                # time axis stays free; the torch.export one (torch 2.13) unrolls it
                # and fixes every sequence to the example's length
                torch.onnx.export(
                    graph.module.eval(),
                    tuple(graph.inputs.values()),
                    str(path),
                    input_names=list(graph.inputs),
                    output_names=graph.outputs,
                    dynamic_axes=graph.dynamic,
                    dynamo=False,
                )
        except ImportError as e:
            raise SeqcliError(
                f"exporting needs the export extra: pip install 'seqcli[export]' ({e})"
            ) from None
        if int8:
            quantize(path)
        written.append(path)
        described[graph.name] = {
            "file": path.name,
            "inputs": {
                k: {
                    "shape": list(v.shape),
                    "dtype": str(v.dtype).removeprefix("torch."),
                }
                for k, v in graph.inputs.items()
            },
            "outputs": graph.outputs,
            "dynamic_axes": graph.dynamic,
            "doc": graph.doc,
        }
    meta = {
        "model": name,
        "kind": manifest.kind,
        "config": manifest.config,
        "int8": int8,
        "graphs": described,
        **module.runtime(model, manifest),
    }
    runtime = folder / RUNTIME
    runtime.write_text(json.dumps(meta, indent=1, ensure_ascii=False))
    return [*written, runtime]


# PyTorch's C++ side warns, straight to file descriptor 2, that it cannot infer the
# shapes of packed sequences; the graphs' outputs are tested against PyTorch's
PACKING_NOTE = re.compile(r"shape inference of prim::(PackPadded|PadPacked) ")


@contextlib.contextmanager
def native_stderr_without(note: re.Pattern):
    """Lines written to file descriptor 2 meanwhile (by C++ code too), passed on
    afterwards except those where `note` is found."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            lines = caught.read().decode("utf-8", "replace").splitlines(True)
            kept = "".join(line for line in lines if not note.search(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


def export_module(model) -> Any:
    """The `export` module of the kind whose network `model` is (its package's)."""
    import importlib

    package = type(model).__module__.rpartition(".")[0]
    return importlib.import_module(f"{package}.export")


def quantize(
    path: Path, *, reduce_range: bool = True, per_channel: bool = True
) -> None:
    """Give the graph's LSTMs int8 weights, in place: onnxruntime's dynamic
    quantization (the activations are quantized as they come) turns each into its
    DynamicQuantizeLSTM, which only onnxruntime runs.

    reduce_range: 7-bit weights. On x86 CPUs without VNNI (AVX2, AVX-512 before
    Cascade Lake) onnxruntime's u8s8 product adds pairs of 8-bit products into int16,
    which saturates with full-range weights (255 * 127 * 2 > 32767); with 7-bit ones
    it cannot (255 * 63 * 2 < 32767), so every CPU computes the same sums.
    per_channel: one scale per gate row instead of per matrix, which wins back the
    bit that reduce_range gives up. bench/int8.py measures each choice's dev F1 on
    AVX-512 VNNI and (emulated) AVX2 CPUs."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(path))
    if not any(n.op_type == "LSTM" for n in graph.graph.node):
        return
    tmp = path.with_name(f".{path.name}.int8")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # it advises pre-processing on the root logger
    try:
        quantize_dynamic(
            graph,  # read once
            str(tmp),
            op_types_to_quantize=["LSTM"],
            weight_type=QuantType.QInt8,
            reduce_range=reduce_range,
            per_channel=per_channel,
        )
    finally:
        root.setLevel(level)
    os.replace(tmp, path)


# --- the exported graphs cached in the store, run by onnxruntime ---
STAMP = "cache.json"  # beside the graphs: what they were made from, their sha256


class Graphs:
    """A folder of exported graphs and its seqcli-onnx.json."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.meta = json.loads((folder / RUNTIME).read_text(encoding="utf-8"))

    def session(self, graph: str):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # errors only: stderr is the user's
        path = self.folder / self.meta["graphs"][graph]["file"]
        return onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )


def cached(store, name: str, manifest: dict, network: Callable) -> Graphs | None:
    """The model's graphs, exported once into the store (Store.cache_dir) and
    checked against their sha256 on every use: rebuilt when the model, seqcli or
    PyTorch changed, refused (and rebuilt) when altered. The model's own weights are
    checked first (a damaged model is refused on every path). `network()` gives the
    PyTorch model to export. None where they cannot be made: onnx or onnxruntime
    missing, or the store read-only."""
    from importlib.util import find_spec

    from seqcli import console

    if find_spec("onnxruntime") is None or find_spec("onnx") is None:
        return None
    store.verify(name, manifest)
    key = cache_key(manifest)
    base = store.cache_dir(name)
    folder = base / f"onnx-{key[:16]}"
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamp = None
    if isinstance(stamp, dict) and stamp.get("key") == key:
        files = stamp.get("sha256", {})
        if files and all(_sha256(folder / f) == d for f, d in files.items()):
            return Graphs(folder)
        console.warn(f"the cached ONNX export of {name!r} was altered: exporting again")
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(base, os.W_OK):  # a read-only store: PyTorch it is
        return None
    console.info(f"exporting {name!r} to ONNX for fast CPU inference (once)")
    try:
        with EXPORTING:
            return Graphs(_build(name, manifest, network(), base, folder, key))
    except OSError:
        return None


def cache_key(manifest: dict, package: Path = Path(__file__).parent) -> str:
    """What the cached graphs were made from: the model's weights, seqcli's source
    (every module of the package: the graphs' inputs are defined in data modules as
    well as in the networks) and the versions of PyTorch and onnxruntime."""
    from importlib import metadata

    digest = hashlib.sha256()
    versions = [
        Manifest.of(manifest).weights["sha256"],
        metadata.version("torch"),
        metadata.version("onnxruntime"),
    ]
    digest.update(" ".join(versions).encode())
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _build(name: str, manifest: dict, model, base: Path, folder: Path, key: str):
    """Export into a fresh folder, then move it into place (readers never see
    half a cache); older exports of the model go."""
    tmp = base / f".onnx-{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    # where the kind chose them, int8 LSTMs (see `quantize`)
    int8 = getattr(export_module(model), "INT8", False)
    written = export(name, model, manifest, tmp, int8=int8)
    stamp = {"key": key, "sha256": {p.name: _sha256(p) for p in written}}
    (tmp / STAMP).write_text(json.dumps(stamp, indent=1), encoding="utf-8")
    for old in base.glob("onnx-*"):
        shutil.rmtree(old, ignore_errors=True)
    try:
        os.replace(tmp, folder)
    except OSError:  # another process put its copy there first
        shutil.rmtree(tmp, ignore_errors=True)
    return folder
