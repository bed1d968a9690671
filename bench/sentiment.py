"""One sentiment model for sentences and reviews: trained on IMDB and SST-2 together.

sentiment-en's recipe (ClassifierConfig and TRAINING defaults, GloVe 6B 50d, dev
evaluation every 350 steps, --seconds of training) on IMDB train (22,500 reviews,
labels neg/pos) and SST-2 train (67,349 phrases, labels 0/1 read as neg/pos)
together, dev picking the checkpoint on both dev sets together (2,500 + 872 texts).
The model is then scored on IMDB dev and SST-2 dev apart (accuracy, macro-F1, and
the expected calibration error of its scores), beside the built-in sentiment-en
(IMDB train only) on the same two files. The joined files are written to
JOINED (in the system's temporary folder, never into the project), a fixed place:
the model's manifest names its dev file, and scripts/calibrate.py reads it there
(scripts/build_defaults.py writes them, as for the built-in).

    python bench/sentiment.py [--seconds 1200] [--seed 1] [--patience 3] [--name N]

The model stays in the user's store under --name (SEQCLI_HOME), so that
`python scripts/build_defaults.py classifier --from-store NAME` can ship it.
Results go to bench/results/sentiment-joint.json (--out NAME: NAME.json).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write  # noqa: E402

# sentiment-en's data, as the release build joins it
from scripts.build_defaults import joined, sst2_dev  # noqa: E402
from seqcli import kinds  # noqa: E402
from seqcli.classifier import recipe  # noqa: E402
from seqcli.classifier.config import TRAINING, ClassifierConfig  # noqa: E402
from seqcli.store import Store  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"
VECTORS = ROOT.parent / "shared" / "vectors" / "glove.6B.50d.txt.gz"
CPU = torch.device("cpu")


def scores(model, manifest, files: dict[str, Path]) -> dict:
    out = {}
    for corpus, path in files.items():
        found = recipe.evaluate(model, manifest, files=[str(path)])
        out[corpus] = {k: found[k] for k in ("accuracy", "macro_f1", "ece")}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--name", default="sentiment-joint")
    parser.add_argument(
        "--out", default="sentiment-joint", help="bench/results/OUT.json"
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--sst2", type=int, metavar="N", help="SST-2 train phrases (default: all)"
    )
    parser.add_argument(
        "--patience", type=int, default=TRAINING.patience, help="dev evaluations"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    store = Store()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        train, dev = joined("train", args.sst2), joined("dev")
        files = {"imdb dev": CORPORA / "imdb" / "dev.txt", "sst2 dev": sst2_dev()}
        settings = replace(
            TRAINING,
            time_budget=args.seconds,
            eval_every=350,
            seed=args.seed,
            patience=args.patience,
        )
        began = time.perf_counter()
        position = recipe.train(
            str(train),
            name=args.name,
            store=store,
            device=CPU,
            settings=settings,
            config=ClassifierConfig(),
            dev_path=str(dev),
            vectors=str(VECTORS),
        )
        seconds = time.perf_counter() - began
        model, manifest = kinds.load(store, args.name, "classifier", CPU)
        joint = scores(model, manifest, files)
        builtin, builtin_manifest = kinds.load(
            Store(folder / "empty"), "sentiment-en", "classifier", CPU
        )
        alone = scores(builtin, builtin_manifest, files)
        shipped = builtin_manifest["data"]["corpus"]
    records = []
    for corpus in files:
        records.append(
            {
                "bench": "sentiment",
                "model": f"IMDB + {'all' if args.sst2 is None else f'{args.sst2:,}'} "
                f"SST-2 train, {args.seconds:g} s (store: {args.name})",
                "corpus": corpus,
                **joint[corpus],
                "seed": args.seed,
                "patience": args.patience,
                "train_seconds": round(seconds, 1),
                "steps": position.global_step,
                "stopped": position.stopped,
                "temperature": manifest.get("calibration", {}).get("temperature"),
                "threads": args.threads,
            }
        )
        records.append(
            {
                "bench": "sentiment",
                "model": "built-in sentiment-en ("
                + ("IMDB + SST-2" if "SST-2" in shipped else "IMDB train only")
                + ")",
                "corpus": corpus,
                **alone[corpus],
            }
        )
    for record in records:
        print(record)
    print(write(args.out, records))


if __name__ == "__main__":
    main()
