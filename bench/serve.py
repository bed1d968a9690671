"""`seqcli serve` under load: 1, 8, 32 and 128 clients, each posting one sentence at
a time to /v1/tag, /v1/classify and /v1/translate of the built-in models, with the
server's batching on (the defaults) and off (--max-batch 1); and a soak run of many
requests, watching the server's resident memory.

    python bench/serve.py [--seconds 5] [--clients 1 8 32 128] [--client raw ...]
    python bench/serve.py --soak 10000
    python bench/serve.py --ceiling

Both servers run side by side, measured in turns (on, then off, at each task, client
and number of clients), each setting for --seconds after a warm-up; the records give
requests per second, the median and 99th-percentile latency, and for batching on,
its speed over batching off at the same task, client and clients. Two clients: httpx
(an AsyncClient, as an application would use) and raw (HTTP/1.1 written and read on
one keep-alive asyncio stream per client: a few microseconds of client work per
request, where httpx spends hundreds, so that less of the 2 cores goes to the
clients); "raw:N" spreads the raw clients over N processes. The clients run on the
same machine as the servers. Results go to bench/results/serve.json.

--soak N: one server (batching on), 32 raw clients posting N requests in all, the
three tasks in turns; the server's resident memory (VmRSS) after the warm-up and
every 1,000 requests, and its growth over the run (target: under 10%). Results go to
bench/results/serve-soak.json.

--ceiling: no server: each built-in in this process (seqcli.api, the backend the
server runs), 32 sentences classified, tagged or translated one call at a time and
in one call of 32, in turns; wall and CPU time per sentence. Their ratio is the
most that batching can give a server whose only work were the model's. Results go
to bench/results/serve-ceiling.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
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


def start(
    store: str, options: list[str], code: str | None = None
) -> tuple[subprocess.Popen, str]:
    """A `seqcli serve` process and its url; `code`: another checkout's root whose
    seqcli it runs (e.g. a branch's worktree), instead of this one's."""
    import httpx

    port = free_port()
    env = {**os.environ, "SEQCLI_HOME": store, "SEQCLI_DEVICE": "cpu"}
    if code:
        env["PYTHONPATH"] = code
    process = subprocess.Popen(
        [sys.executable, "-m", "seqcli", "serve", "-q", "--port", str(port), *options],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{url}/health", timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def resident_mb(pid: int) -> float:
    """A process's resident memory (Linux: VmRSS in /proc), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS in /proc: the soak run needs Linux")


# --- the clients: (latencies in seconds, errors) of `clients` clients ---


async def httpx_load(url: str, task: str, clients: int, seconds: float, texts):
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


def requests_of(url: str, tasks: list[str], texts: list[str]) -> list[bytes]:
    """Each text's POST, written out once: a raw client only sends bytes."""
    host = url.split("//", 1)[1]
    out = []
    for i, text in enumerate(texts):
        task = tasks[i % len(tasks)]
        body = json.dumps({"model": MODELS[task], "text": text}).encode()
        head = (
            f"POST /v1/{task} HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        out.append(head.encode() + body)
    return out


async def exchange(reader, writer, request: bytes) -> int:
    """One request on a keep-alive connection: its status (the body is read)."""
    writer.write(request)
    line = await reader.readline()
    if not line:
        raise ConnectionError("the server closed the connection")
    status = int(line.split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def raw_load(
    url, tasks, clients, texts, *, until=None, total=None, first=0, begin=None
):
    """`clients` keep-alive connections, each sending its next request as the last
    one is answered, from the time `begin` (time.time(), default now) until the
    time `until`, or until `total` requests in all. Returns (latencies, errors)."""
    host, port = url.split("//", 1)[1].split(":")
    requests = requests_of(url, tasks, texts)
    latencies, errors, sent = [], 0, 0

    async def client(k: int) -> None:
        nonlocal errors, sent
        reader, writer = await asyncio.open_connection(host, int(port))
        if begin is not None:  # the processes of raw:N start together
            await asyncio.sleep(max(0.0, begin - time.time()))
        i = first + k
        try:
            while (until is None or time.time() < until) and (
                total is None or sent < total
            ):
                sent += 1
                began = time.perf_counter()
                try:
                    request = requests[i % len(requests)]
                    status = await exchange(reader, writer, request)
                except (ConnectionError, asyncio.IncompleteReadError):
                    status = 0  # an error; a new connection for the next
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
                if status == 200:
                    latencies.append(time.perf_counter() - began)
                else:
                    errors += 1
                i += clients
        finally:
            writer.close()

    await asyncio.gather(*(client(k) for k in range(clients)))
    return latencies, errors


def _raw_process(url, task, clients, texts, begin, until, first):
    """raw_load in a process of its own: (latencies, errors, when it ended)."""
    found, errors = asyncio.run(
        raw_load(url, [task], clients, texts, until=until, first=first, begin=begin)
    )
    return found, errors, time.time()


def load(client: str, url: str, task: str, clients: int, seconds: float, texts):
    """(latencies, errors, seconds taken) of one setting, with the client named:
    httpx, raw or raw:N (N processes)."""
    began = time.time()
    if client == "httpx":
        found, errors = asyncio.run(httpx_load(url, task, clients, seconds, texts))
        return found, errors, time.time() - began
    processes = int(client.split(":")[1]) if ":" in client else 1
    if processes == 1:
        found, errors, ended = _raw_process(
            url, task, clients, texts, None, began + seconds, 0
        )
        return found, errors, ended - began
    shares = [
        clients // processes + (p < clients % processes) for p in range(processes)
    ]
    with ProcessPoolExecutor(processes) as pool:
        # the processes start and connect first, then all post from `begin`
        begin = time.time() + 1.0
        until = begin + seconds
        jobs = [
            pool.submit(
                _raw_process, url, task, n, texts, begin, until, sum(shares[:p])
            )
            for p, n in enumerate(shares)
            if n
        ]
        parts = [job.result() for job in jobs]
    found = [x for lat, _, _ in parts for x in lat]
    return found, sum(e for _, e, _ in parts), max(t for _, _, t in parts) - begin


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def throughput(args, texts: list[str]) -> list[dict]:
    records = []
    with tempfile.TemporaryDirectory() as store:
        servers = {batching: start(store, opts) for batching, opts in SETTINGS.items()}
        try:
            for task in MODELS:
                for _, url in servers.values():  # load, export, warm up
                    asyncio.run(httpx_load(url, task, 4, 1.0, texts))
                for client in args.client:
                    for clients in args.clients:
                        # on and off in turns: a slow spell hits both
                        for batching, server in servers.items():
                            records.append(
                                measure(
                                    args, client, batching, server, task, clients, texts
                                )
                            )
                            print(records[-1], flush=True)
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait(30)
    off = {
        (r["task"], r["client"], r["clients"]): r["requests_per_s"]
        for r in records
        if r["batching"] == "off"
    }
    for r in records:
        base = off.get((r["task"], r["client"], r["clients"]))
        if r["batching"] == "on" and base:
            r["x_batching_off"] = round(r["requests_per_s"] / base, 2)
    return records


def cpu_seconds(pid: int) -> float:
    """A process's user + system CPU time so far (Linux: /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(args, client, batching, server, task, clients, texts) -> dict:
    """One setting against `server`, (its process, its url) as `start` gives it."""
    process, url = server
    load_before = os.getloadavg()[0]  # a shared machine's state
    cpu_before = cpu_seconds(process.pid)
    found, errors, took = load(client, url, task, clients, args.seconds, texts)
    cpu = cpu_seconds(process.pid) - cpu_before
    return {
        "bench": "serve",
        "task": task,
        "model": MODELS[task],
        "client": client,
        "batching": batching,
        "clients": clients,
        "seconds": round(took, 2),
        "requests": len(found),
        "errors": errors,
        "requests_per_s": round(len(found) / took, 1),
        "p50_ms": round(1000 * statistics.median(found), 1),
        "p99_ms": round(1000 * percentile(found, 0.99), 1),
        # the server's CPU time per answered request: what the requests cost it,
        # which the clients' share of the cores moves less than requests/s
        "server_cpu_ms": round(1000 * cpu / max(len(found), 1), 3),
        "load_before": round(load_before, 2),
    }


def soak(total: int, texts: list[str], clients: int = 32) -> dict:
    """`total` requests to one server, the three tasks in turns, memory watched."""
    tasks = list(MODELS)
    with tempfile.TemporaryDirectory() as store:
        process, url = start(store, [])
        try:
            # each model loaded (the graphs exported) and run at the run's
            # concurrency before the start: what is then resident is the server's
            # working size, and what grows after it is what the run adds
            asyncio.run(raw_load(url, tasks, clients, texts, total=1000))
            rss = [resident_mb(process.pid)]
            latencies, errors, done = [], 0, 0
            load_before = os.getloadavg()[0]
            began = time.perf_counter()
            while done < total:
                n = min(1000, total - done)
                part, failed = asyncio.run(
                    raw_load(url, tasks, clients, texts, total=n, first=done)
                )
                latencies += part
                errors += failed
                done += n
                rss.append(resident_mb(process.pid))
                print(
                    f"{done} requests, {errors} errors, {rss[-1]:.1f} MiB", flush=True
                )
            took = time.perf_counter() - began
        finally:
            process.terminate()
            process.wait(30)
    assert len(latencies) + errors == done  # every request answered
    return {
        "bench": "serve soak",
        "requests": done,
        "tasks": "tag, classify, translate in turns",
        "clients": clients,
        "errors": errors,
        "seconds": round(took, 1),
        "requests_per_s": round(done / took, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p99_ms": round(1000 * percentile(latencies, 0.99), 1),
        "rss_start_mb": round(rss[0], 1),
        "rss_end_mb": round(rss[-1], 1),
        "rss_growth": round(rss[-1] / rss[0] - 1, 4),
        "rss_by_1000_mb": [round(x, 1) for x in rss],
        "load_before": round(load_before, 2),
    }


def ceiling(texts: list[str], rounds: int = 7, batch: int = 32) -> list[dict]:
    """Per task: one call per sentence against one call for `batch` of them, the
    median over `rounds` turns of each (each sentence once per turn)."""
    from seqcli import api

    records = []
    with tempfile.TemporaryDirectory() as store:
        for task, name in MODELS.items():
            model = api.load(name, device="cpu", store=store)
            run, part = getattr(model, task), texts[:batch]
            run(part)  # the graphs exported and warm
            times: dict[str, list[tuple[float, float]]] = {"one": [], "batch": []}
            for _ in range(rounds):
                for way, calls in (("one", [[t] for t in part]), ("batch", [part])):
                    wall, cpu = time.perf_counter(), time.process_time()
                    for call in calls:
                        run(call)
                    times[way].append(
                        (time.perf_counter() - wall, time.process_time() - cpu)
                    )
            ms = {
                (way, i): 1000 * statistics.median(t[i] for t in spent) / batch
                for way, spent in times.items()
                for i in (0, 1)
            }
            records.append(
                {
                    "bench": "serve ceiling",
                    "task": task,
                    "model": name,
                    "texts": batch,
                    "rounds": rounds,
                    "one_ms": round(ms["one", 0], 3),
                    "batch_ms": round(ms["batch", 0], 3),
                    "x_wall": round(ms["one", 0] / ms["batch", 0], 2),
                    "one_cpu_ms": round(ms["one", 1], 3),
                    "batch_cpu_ms": round(ms["batch", 1], 3),
                    "x_cpu": round(ms["one", 1] / ms["batch", 1], 2),
                }
            )
            print(records[-1], flush=True)
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32, 128])
    parser.add_argument("--client", nargs="+", default=["httpx", "raw", "raw:2"])
    parser.add_argument("--soak", type=int, default=0, metavar="N")
    parser.add_argument("--ceiling", action="store_true")
    parser.add_argument(
        "--out", help="results file name (default: serve, serve-soak, serve-ceiling)"
    )
    args = parser.parse_args()
    texts = sentences()
    if args.ceiling:
        print(write(args.out or "serve-ceiling", ceiling(texts)))
        return
    if args.soak:
        record = soak(args.soak, texts)
        print(record)
        print(write(args.out or "serve-soak", [record]))
        return
    print(write(args.out or "serve", throughput(args, texts)))


if __name__ == "__main__":
    main()
