"""Data-parallel training throughput: 1 process against 2 processes under torchrun.

    python bench/distributed.py [--seconds 90]

Both train the default char-LM on Tiny Shakespeare with the same global batch (64
streams: 1 × 64, or 2 × 32) for the same time budget; the record is training tokens/s
over all processes. On a 2-core machine the point is correctness, not speed.
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


def run(processes: int, seconds: float, home: Path) -> dict:
    launcher = [sys.executable]
    if processes > 1:
        launcher += [
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc_per_node={processes}",
        ]
    name = f"p{processes}"
    command = [
        *launcher,
        "-m",
        "seqcli",
        "train",
        "charlm",
        str(CORPUS),
        "--name",
        name,
        "--batch-size",
        str(64 // processes),
        "--time-budget",
        str(seconds),
        "-q",
    ]
    env = {**os.environ, "SEQCLI_HOME": str(home), "PYTHONPATH": str(ROOT)}
    subprocess.run(command, env=env, check=True)
    position = json.loads((home / name / "train-state.json").read_text())["position"]
    tokens = position["tokens"] * processes  # each rank counts its own
    return {
        "bench": "data-parallel training",
        "processes": processes,
        "global_batch": 64,
        "seconds": round(position["elapsed"], 1),
        "steps": position["global_step"],
        "tokens_per_s": round(tokens / position["elapsed"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=90)
    args = parser.parse_args()
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for processes in (1, 2):
            records.append(run(processes, args.seconds, Path(tmp)))
            print(records[-1])
    ratio = records[1]["tokens_per_s"] / records[0]["tokens_per_s"]
    records.append(
        {"bench": "data-parallel speed-up", "ratio_2_over_1": round(ratio, 2)}
    )
    print(records[-1])
    print("wrote", write("distributed", records))


if __name__ == "__main__":
    main()
