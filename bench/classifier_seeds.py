"""Another seed of the IMDB recipe bench/classifier.py trains: a classifier of the
user's store, trained by `seqcli train classifier` as that bench trains it (from
the pretrained encoder, 1800 s, dev once an epoch), scored on its dev file here.

    seqcli train classifier ../shared/corpora/imdb/train.txt \\
        --dev ../shared/corpora/imdb/dev.txt --lm sentiment-lm \\
        --time-budget 1800 --seed 2 --name imdb-s2
    python bench/classifier_seeds.py imdb-s2

With --on FILE..., each model is scored on those labelled files instead of its
training's dev: a model trained on IMDB and SST-2 together (the files
scripts/build_defaults.py joins) on each corpus's dev, SST-2's with its labels
written as neg/pos (build_defaults.sst2_dev()):

    python bench/classifier_seeds.py joint-s1 --out classifier-joint \\
        --on ../shared/corpora/imdb/dev.txt /tmp/seqcli-sentiment/sst2-dev-neg-pos.txt

For each model: its seed and training as its manifest records them, dev accuracy
and macro-F1 of its network alone (the manifest's `ngrams.dev_without`, measured by
the training before the bag's fit) and, measured here, of the whole model
(seqcli.classifier.recipe.evaluate, as `seqcli eval`). Results go to
bench/results/classifier-seeds.json (--out NAME: NAME.json).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write  # noqa: E402
from seqcli import kinds  # noqa: E402
from seqcli.classifier.recipe import evaluate  # noqa: E402
from seqcli.store import Store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="+", help="classifiers of the user's store")
    parser.add_argument("--out", default="classifier-seeds")
    parser.add_argument(
        "--on", nargs="+", metavar="FILE", help="score on these files instead"
    )
    args = parser.parse_args()
    torch.set_num_threads(2)
    records = []
    for name in args.models:
        model, manifest = kinds.load(Store(), name, "classifier", "cpu")
        training = manifest["training"]
        network = manifest["ngrams"]["dev_without"]
        own = Path(training["dev"]).resolve()
        for dev in args.on or [training["dev"]]:
            found = evaluate(model.eval(), manifest, files=[dev])
            path = Path(dev).resolve()
            record = {
                "bench": "classifier seeds",
                "model": name,
                "data": Path(training["data"]).parent.name,
                "lm": training.get("lm"),
                "seed": training["settings"]["seed"],
                "time_budget": training["settings"]["time_budget"],
                "epochs": training["settings"]["epochs"],
                "eval_every": training["settings"]["eval_every"],
                "ema": training["settings"].get("ema", 0.0),
                "lm_lr": manifest["config"].get("lm_lr", 1.0),
                "adversarial": manifest["config"].get("adversarial", 0.0),
                "max_tokens": manifest["config"]["max_tokens"],
                "steps": training.get("steps"),
                "training_seconds": training.get("seconds"),
                "dev": f"{path.parent.name}/{path.name}",
                # measured by the training on its own dev only
                "network_accuracy": network["accuracy"] if path == own else None,
                "accuracy": found["accuracy"],
                "macro_f1": found["macro_f1"],
                "ece": found["ece"],
            }
            records.append(record)
            print(record, flush=True)
    write(args.out, records)


if __name__ == "__main__":
    main()
