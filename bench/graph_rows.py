"""Where the translator's exported graphs stop paying: the built-in multi30k-en-de
translating the first N lines of Multi30k val in one call, on its graphs under
onnxruntime and in PyTorch (int8 output layer), beside the cost of importing PyTorch
that a command running the graphs does not pay. seqcli.inference.GRAPH_ROWS is the
threshold this informs.

    python bench/graph_rows.py [--rounds 3]

Both backends run in this process (2 threads), in turns, the best of --rounds each;
"same text" counts the lines whose best translation is the same text on both.
Results go to bench/results/graph-rows.json.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "multi30k" / "val.en"
SIZES = (8, 20, 32, 64, 128)
MODEL = "multi30k-en-de"


def import_seconds(rounds: int) -> float:
    """The best wall-clock seconds of a fresh `python -c 'import torch'`, less a bare
    interpreter's."""

    def best(code: str) -> float:
        times = []
        for _ in range(rounds):
            began = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - began)
        return min(times)

    return best("import torch") - best("pass")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch_import = import_seconds(args.rounds)

    import torch

    from seqcli.inference import Model
    from seqcli.store import Store
    from seqcli.translator.data import Codec
    from seqcli.translator.decode import translate_lines

    torch.set_num_threads(2)
    model = Model(Store(), MODEL, "translator", "cpu")
    codec = Codec(model.manifest)
    graphs, network = model._onnx(), model._torch()
    lines = CORPUS.read_text(encoding="utf-8").splitlines()[: max(SIZES)]
    for backend in (graphs, network):  # warm up
        translate_lines(backend, codec, lines[:8])
    records = []
    for n in SIZES:
        best = {"onnxruntime": float("inf"), "pytorch": float("inf")}
        found = {}
        for _ in range(args.rounds):
            for name, backend in (("onnxruntime", graphs), ("pytorch", network)):
                began = time.perf_counter()
                found[name] = translate_lines(backend, codec, lines[:n])
                best[name] = min(best[name], time.perf_counter() - began)
        same = sum(
            a[0][0] == b[0][0]
            for a, b in zip(found["onnxruntime"], found["pytorch"], strict=True)
        )
        records.append(
            {
                "bench": "graph rows",
                "model": MODEL,
                "lines": n,
                "onnxruntime_seconds": round(best["onnxruntime"], 3),
                "pytorch_seconds": round(best["pytorch"], 3),
                "pytorch_import_seconds": round(torch_import, 3),
                "same_text": same,
            }
        )
        print(records[-1], flush=True)
    print(f"wrote {write('graph-rows', records)}")


if __name__ == "__main__":
    main()
