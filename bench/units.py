"""Language models of characters, words and subwords at equal training time.

    python bench/units.py [--seconds 600]

Each trains `seqcli train charlm` with its default settings but --units on Tiny
Shakespeare's train part for --seconds (the runs one after another, each alone on
the machine), holding out the last 5% as dev, and is scored as the char-LM is: dev
loss in nats per character of the held-out text, whatever its units, so the three
compare. Results go to bench/results/units.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "shakespeare" / "train.txt"
RUNS = {"char": [], "word": ["--unit-vocab", "10000"], "bpe": ["--unit-vocab", "2000"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=600)
    args = parser.parse_args()
    records = []
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "SEQCLI_HOME": home, "SEQCLI_DEVICE": "cpu"}
        for units, extra in RUNS.items():
            command = [sys.executable, "-m", "seqcli", "train", "charlm", str(CORPUS)]
            command += ["--name", units, "--units", units, *extra, "-q"]
            command += ["--time-budget", str(args.seconds), "--seed", "1"]
            subprocess.run(command, env=env, check=True)
            manifest = json.loads((Path(home) / units / "manifest.json").read_text())
            records.append(
                {
                    "bench": "charlm units",
                    "units": units,
                    "unit_vocab": manifest["config"]["unit_vocab"],
                    "vocabulary": manifest["config"]["vocab_size"],
                    "seconds": args.seconds,
                    "dev loss (nats/char)": round(manifest["metrics"]["loss"], 4),
                    "steps": manifest["training"]["steps"],
                }
            )
            print(records[-1], flush=True)
    print("wrote", write("units", records))


if __name__ == "__main__":
    main()
