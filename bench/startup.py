"""Start-up: each command as a new process on the built-in model and one line of
input, beside the imports that set the floor.

    python bench/startup.py [--rounds 5]

Run it on an otherwise idle machine. Every round runs each command once, in turns,
so that a slow spell of a shared machine hits all of them alike; the table gives the
median and the best wall-clock seconds of each, and the first use of each command
with an empty store (where seqcli caches spaCy's tokenizer rules and the exported
graphs). Results go to
bench/results/startup.json.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write  # noqa: E402

SEQCLI = [sys.executable, "-m", "seqcli"]
COMMANDS = {
    "python -c 'import torch'": ([sys.executable, "-c", "import torch"], None),
    "python -c 'import spacy; spacy.blank(\"en\")'": (
        [sys.executable, "-c", "import spacy; spacy.blank('en')"],
        None,
    ),
    "python -c 'import onnxruntime'": (
        [sys.executable, "-c", "import onnxruntime"],
        None,
    ),
    "seqcli --help": ([*SEQCLI, "--help"], None),
    "seqcli tag": (
        [*SEQCLI, "tag", "-q"],
        "Angela Merkel met Emmanuel Macron in Paris on Tuesday.\n",
    ),
    "seqcli translate": (
        [*SEQCLI, "translate", "-q"],
        "A man is riding a horse on the beach.\n",
    ),
    "seqcli generate -n 200": (
        [*SEQCLI, "generate", "-q", "-n", "200", "--seed", "1"],
        "",
    ),
    "seqcli classify": (
        [*SEQCLI, "classify", "-q"],
        "What a wonderful, moving film.\n",
    ),
}
# the tagger's way without PyTorch, in process, on one line: the graph `seqcli tag`
# caches in the store
TAG_ONE = (
    "import sys\n"
    "from seqcli import inference\n"
    "from seqcli.store import Store\n"
    "from seqcli.tagger.decode import tag_texts\n"
    "from seqcli.vocab import WordTokenizer\n"
    "model = inference.Model(Store(), 'conll-en', 'tagger', 'cpu')\n"
    "print(tag_texts(model.network(1), model.manifest, [sys.stdin.read()], "
    "tokenizer=WordTokenizer('en')))\n"
)
COMMANDS["tag one line: exported graph"] = (
    [sys.executable, "-c", TAG_ONE],
    "Angela Merkel met Emmanuel Macron in Paris on Tuesday.\n",
)
TARGETS = {"seqcli tag": 1.0, "seqcli translate": 1.2, "seqcli generate -n 200": 1.0}
IMPORT_TORCH = "python -c 'import torch'"
FIRST_USE_TARGET = 5.0  # seconds, the graphs exported into an empty store included


def run(command: list[str], stdin: str | None, home: str = "/tmp") -> float:
    start = time.perf_counter()
    subprocess.run(
        command,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
        env={"SEQCLI_DEVICE": "cpu", "PATH": "/usr/bin:/bin", "HOME": home},
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    # the first use after installing: an empty store, so the tokenizer's rules and
    # the exported graphs are made (once) on the way
    first = {}
    with tempfile.TemporaryDirectory() as home:
        for name, (command, stdin) in COMMANDS.items():
            if name.startswith("seqcli "):
                first[name] = run(command, stdin, home)
    for command, stdin in COMMANDS.values():
        run(command, stdin)  # warm the caches, as a user's second call would be
    for _ in range(args.rounds):
        for name, (command, stdin) in COMMANDS.items():
            times[name].append(run(command, stdin))
    records = []
    torch_s = statistics.median(times[IMPORT_TORCH])
    print(f"{'command':48} {'median s':>9} {'best s':>7} {'target':>7} {'first':>6}")
    for name, found in times.items():
        record = {
            "command": name,
            "median_s": round(statistics.median(found), 3),
            "best_s": round(min(found), 3),
            "runs": [round(t, 3) for t in found],
            "target_s": TARGETS.get(name),
            # one line through a built-in: at most half of `import torch`
            "x_import_torch": round(statistics.median(found) / torch_s, 3),
            "first_use_s": round(first[name], 3) if name in first else None,
            "first_use_target_s": FIRST_USE_TARGET if name in first else None,
        }
        records.append(record)
        target = f"{TARGETS[name]:.1f}" if name in TARGETS else ""
        once = f"{first[name]:.2f}" if name in first else ""
        print(
            f"{name:48} {record['median_s']:9.2f} {record['best_s']:7.2f} {target:>7}"
            f" {once:>6}"
        )
    print(f"wrote {write('startup', records)}")


if __name__ == "__main__":
    main()
