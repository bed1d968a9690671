"""`seqcli serve` under load: 1, 8 and 32 clients, each posting one sentence at a
time to /v1/tag, /v1/classify and /v1/translate of the built-in models, with the
server's batching on (the defaults) and off (--max-batch 1).

    python bench/serve.py [--seconds 5] [--clients 1 8 32]

Both servers run side by side, measured in turns (on, then off, at each task and
number of clients), each setting for --seconds after a warm-up; the records give
requests per second, the median and 99th-percentile latency, and for batching on,
its speed over batching off at the same task and clients. The clients run in this
process (one event loop, httpx): on a small machine they take CPU from the server,
alike in both settings. Results go to bench/results/serve.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write  # noqa: E402

MODELS = {"tag": "conll-en", "classify": "sentiment-en", "translate": "multi30k-en-de"}
SETTINGS = {"on": [], "off": ["--max-batch", "1"]}


def sentences() -> list[str]:
    lines = (ROOT / "corpora" / "phrases.tsv").read_text(encoding="utf-8")
    return [line.split("\t")[0] for line in lines.splitlines() if line.strip()][:200]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(store: str, options: list[str]) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "seqcli", "serve", "-q", "--port", str(port), *options],
        env={**os.environ, "SEQCLI_HOME": store, "SEQCLI_DEVICE": "cpu"},
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{url}/health", timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


async def load(url: str, task: str, clients: int, seconds: float, texts: list[str]):
    """(latencies in seconds, errors) of `clients` clients posting for `seconds`."""
    import httpx

    latencies, errors = [], 0
    end = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients)

    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:

        async def client(k: int) -> None:
            nonlocal errors
            i = k
            while time.perf_counter() < end:
                body = {"model": MODELS[task], "text": texts[i % len(texts)]}
                began = time.perf_counter()
                response = await http.post(f"/v1/{task}", json=body)
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - began)
                else:
                    errors += 1
                i += clients

        await asyncio.gather(*(client(k) for k in range(clients)))
    return latencies, errors


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    args = parser.parse_args()
    texts = sentences()
    records = []
    with tempfile.TemporaryDirectory() as store:
        servers = {batching: start(store, opts) for batching, opts in SETTINGS.items()}
        try:
            for task in MODELS:
                for _, url in servers.values():  # load, export, warm up
                    asyncio.run(load(url, task, 4, 1.0, texts))
                for clients in args.clients:
                    # on and off in turns: a slow spell of a shared machine hits both
                    for batching, (_, url) in servers.items():
                        load_before = os.getloadavg()[0]  # a shared machine's state
                        began = time.perf_counter()
                        found, errors = asyncio.run(
                            load(url, task, clients, args.seconds, texts)
                        )
                        took = time.perf_counter() - began
                        record = {
                            "bench": "serve",
                            "task": task,
                            "model": MODELS[task],
                            "batching": batching,
                            "clients": clients,
                            "seconds": round(took, 2),
                            "requests": len(found),
                            "errors": errors,
                            "requests_per_s": round(len(found) / took, 1),
                            "p50_ms": round(1000 * statistics.median(found), 1),
                            "p99_ms": round(1000 * percentile(found, 0.99), 1),
                            "load_before": round(load_before, 2),
                        }
                        records.append(record)
                        print(record, flush=True)
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait(30)
    off = {
        (r["task"], r["clients"]): r["requests_per_s"]
        for r in records
        if r["batching"] == "off"
    }
    for r in records:
        if r["batching"] == "on" and off.get((r["task"], r["clients"])):
            r["x_batching_off"] = round(
                r["requests_per_s"] / off[(r["task"], r["clients"])], 2
            )
    print(write("serve", records))


if __name__ == "__main__":
    main()
