"""One recurrent cell in a kind's default recipe: the record of the cells tables.

    taskset -c 0 python bench/cells.py tagger rnn          # 900 s, CoNLL-2003
    taskset -c 1 python bench/cells.py translator rnn      # 1800 s, Multi30k
    taskset -c 1 python bench/cells.py translator rnn -- --lr 5e-4  # another setting

Trains `seqcli train KIND --cell CELL` with the recipe's defaults and GloVe 6B 50d
(the tagger's word vectors, the translator's source vectors), one torch thread, in a
store of its own, for the budget the other cells had; dev picks the checkpoint. The
record (dev metrics, steps, why it stopped, the load average before and after) is
added to bench/results/KIND-cells.json beside the cells measured before, replacing
an earlier record of the same cell. Run two at once, each pinned to a core, as the
earlier cells were.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import RESULTS, environment

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEQCLI = str(Path(sys.executable).with_name("seqcli"))
VECTORS = SHARED / "vectors" / "glove.6B.50d.txt.gz"
CONLL = SHARED / "corpora" / "conll2003"
MULTI30K = SHARED / "corpora" / "multi30k"

RECIPES = {
    "tagger": {
        "budget": 900,
        "corpus": "CoNLL-2003 train, dev picks",
        "vectors": "glove.6B.50d.txt.gz",
        "args": [
            str(CONLL / "train.txt"),
            "--dev",
            str(CONLL / "dev.txt"),
            "--vectors",
            str(VECTORS),
        ],
    },
    "translator": {
        "budget": 1800,
        "corpus": "Multi30k train, val picks (beam-5 BLEU at each evaluation, "
        "the default)",
        "vectors": "glove.6B.50d.txt.gz (source side)",
        "args": [
            "--src",
            str(MULTI30K / "train.en"),
            "--tgt",
            str(MULTI30K / "train.de"),
            "--dev-src",
            str(MULTI30K / "val.en"),
            "--dev-tgt",
            str(MULTI30K / "val.de"),
            "--src-vectors",
            str(VECTORS),
        ],
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=RECIPES)
    parser.add_argument("cell", choices=["lstm", "gru", "mingru", "rnn"])
    parser.add_argument("--time-budget", type=float, help="default: the recipe's")
    parser.add_argument(
        "extra", nargs="*", help="options after --, for `seqcli train` (e.g. --lr 5e-4)"
    )
    args = parser.parse_args()
    recipe = RECIPES[args.kind]
    budget = args.time_budget or recipe["budget"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as home:
        env["SEQCLI_HOME"] = home
        command = [SEQCLI, "train", args.kind, *recipe["args"]]
        command += ["--cell", args.cell, "--name", "cell", "--time-budget", str(budget)]
        command += args.extra
        run = subprocess.run(
            command, env=env, check=True, stderr=subprocess.PIPE, text=True
        )
        ended = [line for line in run.stderr.splitlines() if "stopped" in line]
        shown = subprocess.run(
            [SEQCLI, "models", "show", "cell", "--full"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    manifest = json.loads(shown.stdout)
    record = {
        "bench": f"{args.kind} cell",
        "cell": args.cell,
        "options": " ".join(args.extra),
        "corpus": recipe["corpus"],
        "vectors": recipe["vectors"],
        "time_budget": budget,
        # the translator's earlier records name its dev metrics by how they were made
        ("val_beam5" if args.kind == "translator" else "dev_metrics"): manifest.get(
            "metrics", {}
        ),
        "steps": manifest["training"].get("steps"),
        "ended": ended[-1].strip() if ended else "",
        "history": manifest.get("history", []),
        "config": manifest.get("config", {}),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "note": "pinned to one core, 1 thread, beside the other kind's run",
        **environment(),
        "threads": 1,
    }
    path = RESULTS / f"{args.kind}-cells.json"
    records = json.loads(path.read_text()) if path.exists() else []
    same = (args.cell, record["options"])
    records = [r for r in records if (r.get("cell"), r.get("options", "")) != same]
    records.append(record)
    path.write_text(json.dumps(records, indent=2) + "\n")
    print(json.dumps(record["ended"]))


if __name__ == "__main__":
    main()
