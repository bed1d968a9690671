"""One sentiment model for sentences and reviews: trained on IMDB and SST-2 together.

sentiment-en's recipe (ClassifierConfig and TRAINING defaults, GloVe 6B 50d, dev
evaluation every 350 steps, --seconds of training) on IMDB train (22,500 reviews,
labels neg/pos) and SST-2 train (67,349 phrases, labels 0/1 read as neg/pos)
together, dev picking the checkpoint on both dev sets together (2,500 + 872 texts).
The model is then scored on IMDB dev and SST-2 dev apart (accuracy, macro-F1, and
the expected calibration error of its scores), beside the built-in sentiment-en
(IMDB train only) on the same two files. The joined files are written to
JOINED (in the system's temporary folder, never into the project), a fixed place:
the model's manifest names its dev file, and scripts/calibrate.py reads it there.

    python bench/sentiment.py [--seconds 1200] [--seed 1] [--patience 3] [--name N]

The model stays in the user's store under --name (SEQCLI_HOME), so that
`python scripts/build_defaults.py classifier --from-store NAME` can ship it.
Results go to bench/results/sentiment-joint.json (--out NAME: NAME.json).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write  # noqa: E402
from seqcli import kinds  # noqa: E402
from seqcli.classifier import recipe  # noqa: E402
from seqcli.classifier.config import TRAINING, ClassifierConfig  # noqa: E402
from seqcli.store import Store  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"
VECTORS = ROOT.parent / "shared" / "vectors" / "glove.6B.50d.txt.gz"
CPU = torch.device("cpu")
SST2_LABELS = {"0": "neg", "1": "pos"}
JOINED = Path(tempfile.gettempdir()) / "seqcli-sentiment"


def sst2_lines(path: Path) -> list[str]:
    """SST-2's label<TAB>text lines with 0/1 read as neg/pos."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        label, _, text = line.partition("\t")
        out.append(f"{SST2_LABELS[label]}\t{text}")
    return out


def joined(folder: Path, split: str, sst2: int | None = None) -> Path:
    """IMDB's and SST-2's lines of `split` in one file; `sst2`: that many of SST-2's,
    a seeded random sample (its 67,349 phrases outnumber IMDB's 22,500 reviews)."""
    imdb = (CORPORA / "imdb" / f"{split}.txt").read_text(encoding="utf-8").splitlines()
    phrases = sst2_lines(CORPORA / "sst2" / f"{split}.txt")
    if sst2 is not None and sst2 < len(phrases):
        phrases = random.Random(1).sample(phrases, sst2)
    path = folder / f"imdb+sst2-{split}{'' if sst2 is None else f'-{sst2}'}.txt"
    lines = imdb + phrases
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


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
    JOINED.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        train, dev = joined(JOINED, "train", args.sst2), joined(JOINED, "dev")
        sst2_dev = JOINED / "sst2-dev-neg-pos.txt"
        sst2_dev.write_text(
            "\n".join(sst2_lines(CORPORA / "sst2" / "dev.txt")) + "\n", "utf-8"
        )
        files = {"imdb dev": CORPORA / "imdb" / "dev.txt", "sst2 dev": sst2_dev}
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
                "model": "built-in sentiment-en (IMDB train only)",
                "corpus": corpus,
                **alone[corpus],
            }
        )
    for record in records:
        print(record)
    print(write(args.out, records))


if __name__ == "__main__":
    main()
