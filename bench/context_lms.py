"""Context char-LMs for the WNUT-17 tagger trained on text with a share of its
documents lower-cased, so that their states on text typed without capitals are
those of text they have read.

    python bench/context_lms.py --lower 0.5 --prefix lmlc

trains PREFIX-forward and PREFIX-backward into the user's store with the recipe of
scripts/build_defaults.py (1x128 LSTMs, 20 minutes each, on `context_docs`), the
share `--lower` of the documents (seeded) lower-cased; then scores each char-LM on
WNUT-17 dev as it is and lower-cased. The taggers are then trained and scored by

    python bench/tagger.py --recipe --corpus wnut17 --lm PREFIX-forward \\
        --lm PREFIX-backward --set lower_copies=true --set caseless=true ...
    python bench/robustness.py --from-store MODEL wnut17 --out robustness-MODEL

Results go to bench/results/context-lms-PREFIX.json.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import build_defaults  # noqa: E402

from bench.common import write  # noqa: E402
from seqcli import kinds  # noqa: E402
from seqcli.charlm import recipe as charlm_recipe  # noqa: E402
from seqcli.store import Store  # noqa: E402
from seqcli.tagger.conll import read_conll  # noqa: E402

CPU = torch.device("cpu")
WNUT_DEV = ROOT.parent / "shared" / "corpora" / "wnut17" / "dev.txt"


def lowered(docs: list[str], share: float, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(d.lower() if rng.random() < share else d for d in docs)


def dev_text() -> str:
    lines = WNUT_DEV.read_text(encoding="utf-8").splitlines()
    doc = read_conll(lines, source=str(WNUT_DEV), label_column=-1)
    return "".join(" ".join(s.tokens) + "\n" for s in doc.sentences if s.tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lower", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--prefix", default="lmlc")
    parser.add_argument(
        "--score-only", action="store_true", help="score PREFIX-* of the store"
    )
    args = parser.parse_args()
    store = Store()
    if not args.score_only:
        text = lowered(build_defaults.context_docs(), args.lower, args.seed)
        build_defaults.train_context_lms(store, text, args.prefix)
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        dev = dev_text()
        for case, text in (("as is", dev), ("lower-cased", dev.lower())):
            path = Path(tmp) / "dev.txt"
            path.write_text(text, encoding="utf-8")
            for direction in ("forward", "backward"):
                name = f"{args.prefix}-{direction}"
                model, manifest = kinds.load(store, name, "charlm", CPU)
                metrics = charlm_recipe.evaluate(model, manifest, files=[str(path)])
                records.append(
                    {
                        "model": name,
                        "lower_share": args.lower,
                        "text": case,
                        "wnut17_dev_bpc": metrics["bpc"],
                        "steps": manifest["history"][-1]["step"]
                        if manifest.get("history")
                        else None,
                    }
                )
                print(records[-1])
    print(f"wrote {write(f'context-lms-{args.prefix}', records)}")


if __name__ == "__main__":
    main()
