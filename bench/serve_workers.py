"""`seqcli serve` settings side by side: `--workers 2` against one worker, batching
on and off (the default); with --compare batching, the batcher's settings around
their defaults (at most 32 texts a batch, waiting up to 5 ms) against batching off;
with --compare wait, longer waits, the translator too.

The servers of bench/serve.py's kind (each built-in loaded on its first request)
run at once; 32 raw keep-alive clients in two processes post single sentences to
/v1/tag, then /v1/classify (then /v1/translate), each server in turn for 5 s, in two
rounds; with the texts each model call read on average (GET /v1/models). Results go
to bench/results/serve-workers.json (serve-batching.json, serve-wait.json).

    python bench/serve_workers.py [--compare workers|batching|wait]
    python bench/serve_workers.py --compare wait --code "sliding window=../sliding"
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write  # noqa: E402
from bench.serve import MODELS, load, sentences, start  # noqa: E402

CLIENTS, SECONDS, ROUNDS = 32, 5.0, 2
OFF = ["--max-batch", "1"]
# each comparison: its servers, as the fields their records give them and options
COMPARE = {
    "workers": [
        ({"workers": 1, "batching": "on"}, []),
        ({"workers": 1, "batching": "off"}, OFF),
        ({"workers": 2, "batching": "on"}, ["--workers", "2"]),
        ({"workers": 2, "batching": "off"}, ["--workers", "2", *OFF]),
    ],
    "batching": [
        ({"setting": "batching off"}, OFF),
        ({"setting": "defaults (max batch 32, wait 5 ms)"}, []),
        ({"setting": "wait 1 ms"}, ["--wait-ms", "1"]),
        ({"setting": "wait 0 ms"}, ["--wait-ms", "0"]),
        ({"setting": "max batch 16"}, ["--max-batch", "16"]),
        ({"setting": "max batch 8"}, ["--max-batch", "8"]),
    ],
    "wait": [
        ({"setting": "batching off"}, OFF),
        ({"setting": "defaults (max batch 32, wait 5 ms)"}, []),
        ({"setting": "wait 20 ms"}, ["--wait-ms", "20"]),
        ({"setting": "wait 50 ms"}, ["--wait-ms", "50"]),
    ],
}
TASKS = {"wait": ("tag", "classify", "translate")}


def batches(url: str, task: str) -> tuple[int, int]:
    """(calls, texts) of the task's model in the server so far."""
    import httpx

    for row in httpx.get(f"{url}/v1/models", timeout=30).json()["models"]:
        if row["name"] == MODELS[task]:
            found = row.get("batches", {})
            return found.get("calls", 0), found.get("texts", 0)
    return 0, 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", choices=list(COMPARE), default="workers")
    parser.add_argument(
        "--code",
        action="append",
        default=[],
        metavar="SETTING=PATH",
        help="one more server, with the defaults, running the seqcli of another "
        "checkout (a branch's worktree), its records' setting SETTING",
    )
    args = parser.parse_args()
    texts = sentences()
    records = []
    others = [pair.partition("=")[::2] for pair in args.code]
    with tempfile.TemporaryDirectory() as store:
        servers = [
            (fields, start(store, options)) for fields, options in COMPARE[args.compare]
        ]
        servers += [({"setting": n}, start(store, [], path)) for n, path in others]
        try:
            for task in TASKS.get(args.compare, ("tag", "classify")):
                for _, (_, url) in servers:  # each worker loads its model
                    load("raw:2", url, task, CLIENTS, 2.0, texts)
                for turn in range(1, ROUNDS + 1):
                    for fields, (_, url) in servers:
                        calls, read = batches(url, task)
                        found, errors, seconds = load(
                            "raw:2", url, task, CLIENTS, SECONDS, texts
                        )
                        calls, read = (
                            now - then
                            for now, then in zip(
                                batches(url, task), (calls, read), strict=True
                            )
                        )
                        records.append(
                            {
                                "bench": f"serve {args.compare}",
                                "task": task,
                                **fields,
                                "client": "raw:2",
                                "clients": CLIENTS,
                                "round": turn,
                                "requests_per_s": round(len(found) / seconds),
                                "errors": errors,
                                "texts_per_call": round(read / max(calls, 1), 1),
                            }
                        )
                        print(records[-1], flush=True)
        finally:
            for _, (process, _) in servers:
                process.terminate()
                process.wait(30)
    name = {"workers": "serve-workers"}.get(args.compare, f"serve-{args.compare}")
    print(write(name, records))


if __name__ == "__main__":
    main()
