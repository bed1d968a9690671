"""Where the exported graphs stop paying: the built-in multi30k-en-de translating
the first N lines of Multi30k val, and sentiment-en classifying the first N of SST-2
dev, in one call, on the graphs under onnxruntime and in PyTorch (the translator's
output layer in int8), beside the cost of importing PyTorch that a command running
the graphs does not pay. seqcli.inference.GRAPH_ROWS is the threshold this informs.

    python bench/graph_rows.py [--rounds 3]

Both backends run in this process (2 threads), in turns, the best of --rounds each;
"same text" counts the lines whose best translation, or label, is the same on both.
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

CORPORA = ROOT.parent / "shared" / "corpora"
SIZES = (8, 20, 32, 64, 128)


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

    from seqcli.classifier.data import Codec as ClassifierCodec
    from seqcli.classifier.decode import classify_texts
    from seqcli.inference import Model
    from seqcli.store import Store
    from seqcli.translator.data import Codec
    from seqcli.translator.decode import translate_lines

    torch.set_num_threads(2)

    def translate(model):
        codec = Codec(model.manifest)
        return lambda net, lines: [x[0][0] for x in translate_lines(net, codec, lines)]

    def classify(model):
        codec = ClassifierCodec.from_manifest(model.manifest)
        return lambda net, lines: [
            r["label"] for r in classify_texts(net, codec, lines)
        ]

    texts = {
        "multi30k-en-de": (CORPORA / "multi30k" / "val.en").read_text("utf-8"),
        "sentiment-en": "\n".join(
            line.split("\t", 1)[1]
            for line in (CORPORA / "sst2" / "dev.txt").read_text("utf-8").splitlines()
        ),
    }
    records = []
    for name, run in (("multi30k-en-de", translate), ("sentiment-en", classify)):
        model = Model(Store(), name, None, "cpu")
        backends = {"onnxruntime": model._onnx(), "pytorch": model._torch()}
        call = run(model)
        lines = texts[name].splitlines()[: max(SIZES)]
        for backend in backends.values():  # warm up
            call(backend, lines[:8])
        for n in SIZES:
            best = dict.fromkeys(backends, float("inf"))
            found = {}
            for _ in range(args.rounds):
                for key, backend in backends.items():
                    began = time.perf_counter()
                    found[key] = call(backend, lines[:n])
                    best[key] = min(best[key], time.perf_counter() - began)
            same = sum(
                a == b
                for a, b in zip(found["onnxruntime"], found["pytorch"], strict=True)
            )
            records.append(
                {
                    "bench": "graph rows",
                    "model": name,
                    "lines": n,
                    "onnxruntime_seconds": round(best["onnxruntime"], 4),
                    "pytorch_seconds": round(best["pytorch"], 4),
                    "pytorch_import_seconds": round(torch_import, 3),
                    "same_text": same,
                }
            )
            print(records[-1], flush=True)
    print(f"wrote {write('graph-rows', records)}")


if __name__ == "__main__":
    main()
