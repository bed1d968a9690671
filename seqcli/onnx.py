"""Exporting a model's network as ONNX graphs, for running it without PyTorch.

Each kind's `export.py` says which graphs make its network (`graphs`) and what else a
runtime needs to use them (`runtime`: vocabularies, tokenizer settings, tag scheme
and transitions, special ids). The search around the network (sampling, Viterbi, beam
search) is not exported: seqcli runs it, and README's "Exporting" section describes
each graph's inputs and outputs so that others can.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqcli.errors import SeqcliError

RUNTIME = "seqcli-onnx.json"  # what a runtime needs besides the graphs


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


def export(name: str, model, manifest: dict, folder: Path) -> list[Path]:
    """Write the model's graphs and the runtime JSON into `folder`; returns the
    files written."""
    import torch

    from seqcli import kinds

    kind = kinds.get(manifest["kind"])
    module = kind.module("export")
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
        "kind": manifest["kind"],
        "config": manifest["config"],
        "graphs": described,
        **module.runtime(model, manifest),
    }
    runtime = folder / RUNTIME
    runtime.write_text(json.dumps(meta, indent=1, ensure_ascii=False))
    return [*written, runtime]
