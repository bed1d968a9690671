"""`seqcli serve` settings side by side: `--workers 2` against one worker, batching
on and off (the default); or, with --compare batching, the batcher's settings
around their defaults (at most 32 texts a batch, waiting up to 5 ms) against
batching off.

The servers of bench/serve.py's kind (each built-in loaded on its first request)
run at once; 32 raw keep-alive clients in two processes post single sentences to
/v1/tag, then /v1/classify, each server in turn for 5 s, in two rounds. Results go
to bench/results/serve-workers.json (serve-batching.json).

    python bench/serve_workers.py [--compare workers|batching]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write  # noqa: E402
from bench.serve import load, sentences, start  # noqa: E402

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
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", choices=list(COMPARE), default="workers")
    args = parser.parse_args()
    texts = sentences()
    records = []
    with tempfile.TemporaryDirectory() as store:
        servers = [
            (fields, start(store, options)) for fields, options in COMPARE[args.compare]
        ]
        try:
            for task in ("tag", "classify"):
                for _, (_, url) in servers:  # each worker loads its model
                    load("raw:2", url, task, CLIENTS, 2.0, texts)
                for turn in range(1, ROUNDS + 1):
                    for fields, (_, url) in servers:
                        found, errors, seconds = load(
                            "raw:2", url, task, CLIENTS, SECONDS, texts
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
                            }
                        )
                        print(records[-1], flush=True)
        finally:
            for _, (process, _) in servers:
                process.terminate()
                process.wait(30)
    name = "serve-workers" if args.compare == "workers" else "serve-batching"
    print(write(name, records))


if __name__ == "__main__":
    main()
