"""`seqcli serve --workers 2` against one worker, batching on and off, side by side.

The four servers of bench/serve.py's kind (each built-in loaded on its first
request) run at once; 32 raw keep-alive clients in two processes post single
sentences to /v1/tag, then /v1/classify, each server in turn for 5 s, in two
rounds. Results go to bench/results/serve-workers.json.

    python bench/serve_workers.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write  # noqa: E402
from bench.serve import load, sentences, start  # noqa: E402

CLIENTS, SECONDS, ROUNDS = 32, 5.0, 2


def main() -> None:
    texts = sentences()
    records = []
    with tempfile.TemporaryDirectory() as store:
        servers = {
            (workers, batching): start(
                store,
                (["--workers", "2"] if workers == 2 else [])
                + ([] if batching == "on" else ["--max-batch", "1"]),
            )
            for workers in (1, 2)
            for batching in ("on", "off")
        }
        try:
            for task in ("tag", "classify"):
                for _, url in servers.values():  # each worker loads its model
                    load("raw:2", url, task, CLIENTS, 2.0, texts)
                for turn in range(1, ROUNDS + 1):
                    for (workers, batching), (_, url) in servers.items():
                        found, errors, seconds = load(
                            "raw:2", url, task, CLIENTS, SECONDS, texts
                        )
                        records.append(
                            {
                                "bench": "serve workers",
                                "task": task,
                                "workers": workers,
                                "batching": batching,
                                "client": "raw:2",
                                "clients": CLIENTS,
                                "round": turn,
                                "requests_per_s": round(len(found) / seconds),
                                "errors": errors,
                            }
                        )
                        print(records[-1], flush=True)
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait(30)
    print(write("serve-workers", records))


if __name__ == "__main__":
    main()
