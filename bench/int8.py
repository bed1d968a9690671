"""What int8 LSTMs cost the built-in taggers, on CPUs with and without VNNI.

    python bench/int8.py export DIR                 # the graphs of each quantization
    python bench/int8.py score DIR --label NAME     # dev F1 of each, on this CPU
    qemu-x86_64 -cpu EPYC-Rome .venv/bin/python bench/int8.py score DIR \
        --label "AVX2 (EPYC-Rome, emulated)"        # the same on an AVX2-only CPU

onnxruntime's u8s8 matrix product differs by instruction set: with AVX-512 VNNI it
sums 8-bit products in int32; with AVX2 (or AVX-512 without VNNI) it first adds pairs
of them into int16, which saturates when the weights use the full int8 range. `export`
writes each built-in's emission graph as float32 and with three int8 quantizations:

- "int8, per matrix": 8-bit weights, one scale per matrix (what seqcli shipped before);
- "int8 reduced, per matrix": 7-bit weights (reduce_range), which cannot saturate;
- "int8 reduced, per row": 7-bit weights, one scale per gate row (seqcli's choice).

`score` tags each built-in's dev set with every graph and writes dev F1, and the share
of dev sentences whose tags differ from the float32 graph's, to
bench/results/int8.jsonl (one line per graph and CPU; `--label` names the CPU). It
also keeps each graph's tags in DIR, so that a second CPU's run says how many
sentences the two CPUs tag differently with the same graph.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seqcli import onnx  # noqa: E402
from seqcli.store import Store  # noqa: E402
from seqcli.tagger import entities, runtime  # noqa: E402
from seqcli.tagger.data import Batcher, input_scheme, read_conll  # noqa: E402
from seqcli.tagger.schemes import convert  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"
RESULTS = ROOT / "bench" / "results" / "int8.jsonl"
DEV = {
    "conll-en": CORPORA / "conll2003" / "dev.txt",
    "wnut17-en": CORPORA / "wnut17" / "dev.txt",
    # conll-en with every weight but the CRF's times 4: large activations and weights,
    # as in a model trained with a high learning rate; where saturation shows first
    "conll-en x4": CORPORA / "conll2003" / "dev.txt",
}
# graph folder → quantize() settings (None: float32)
VARIANTS = {
    "float32": None,
    "int8, per matrix": {"reduce_range": False, "per_channel": False},
    "int8 reduced, per matrix": {"reduce_range": True, "per_channel": False},
    "int8 reduced, per row": {"reduce_range": True, "per_channel": True},
}


def folder_name(variant: str) -> str:
    return variant.replace(",", "").replace(" ", "-")


def export(out: Path) -> None:
    import torch

    from seqcli import kinds

    store = Store()
    for name in DEV:
        manifest = store.manifest(name.split()[0])
        model = kinds.load(store, name.split()[0], "tagger", torch.device("cpu"))[0]
        if name.endswith("x4"):
            with torch.no_grad():
                for key, p in model.named_parameters():
                    if not key.startswith("crf."):
                        p.mul_(4.0)
        base = out / name / "float32"
        shutil.rmtree(base, ignore_errors=True)
        onnx.export(name, model, manifest, base)
        for variant, settings in VARIANTS.items():
            if settings is None:
                continue
            folder = out / name / folder_name(variant)
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(base, folder)
            onnx.quantize(folder / "emissions.onnx", **settings)
            meta = json.loads((folder / onnx.RUNTIME).read_text())
            meta["int8"] = True
            (folder / onnx.RUNTIME).write_text(json.dumps(meta, indent=1))
        print(f"{name}: graphs in {out / name}", file=sys.stderr)


def score(out: Path, label: str, models: list[str]) -> None:
    store = Store()
    records = []
    for name in models:
        dev = DEV[name]
        manifest = store.manifest(name.split()[0])
        batcher = Batcher.from_manifest(manifest)
        doc = read_conll(str(dev))
        sentences = [s.tokens for s in doc.sentences]
        gold = [s.labels for s in doc.sentences]
        scheme = input_scheme(doc)
        tagged = {}
        for variant in VARIANTS:
            folder = out / name / folder_name(variant)
            model = runtime.build(onnx.Graphs(folder))
            start = time.perf_counter()
            paths = model.decode_tokens(batcher, sentences)
            seconds = time.perf_counter() - start
            tags = [[model.tags[i] for i in p] for p in paths]
            tagged[variant] = tags
            pred = [convert(t, model.cfg.scheme, scheme) for t in tags]
            f1 = entities.score(gold, pred)["f1"]
            mine = folder / f"tags-{slug(label)}.json"
            mine.write_text(json.dumps(tags))
            others = {}
            for theirs in sorted(folder.glob("tags-*.json")):
                if theirs != mine:
                    other = json.loads(theirs.read_text())
                    others[theirs.stem[5:]] = differing(tags, other)
            records.append(
                {
                    "bench": "int8 tagger graphs",
                    "model": name,
                    "dev": str(dev.relative_to(CORPORA)),
                    "graph": variant,
                    "cpu": label,
                    "f1": round(100 * f1, 2),
                    "sentences differing from float32": differing(
                        tags, tagged["float32"]
                    ),
                    "sentences differing from the same graph on": others,
                    "sentences": len(sentences),
                    "network tokens/s (one pass, 2 threads)": round(
                        sum(map(len, sentences)) / seconds
                    ),
                    "machine": platform.machine(),
                    "date": datetime.datetime.now().isoformat(timespec="seconds"),
                }
            )
            print(json.dumps(records[-1]), file=sys.stderr)
    with RESULTS.open("a", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")


def differing(a: list[list[str]], b: list[list[str]]) -> int:
    return sum(x != y for x, y in zip(a, b, strict=True))


def slug(label: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in label.split(" ")[0]).lower()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=["export", "score"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--label", default="this CPU", help="the CPU, for the record")
    parser.add_argument("--models", nargs="+", default=list(DEV), choices=list(DEV))
    args = parser.parse_args()
    if args.step == "export":
        export(args.folder)
    else:
        score(args.folder, args.label, args.models)


if __name__ == "__main__":
    main()
