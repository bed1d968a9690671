"""Shared helpers for the benchmark scripts: timing and writing result records."""

import datetime
import json
import platform
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def environment() -> dict:
    import torch

    return {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
    }


def best_time(fn, repeat: int = 5, number: int = 1) -> float:
    """Best time per call of fn, over `repeat` rounds of `number` calls (seconds)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def best_times(fns: dict, repeat: int = 3, number: int = 3) -> dict:
    """Best time of each fn, measured in turns: each round gives every fn one untimed
    call (to warm its caches, as a user's run would have) and `number` timed calls,
    so that a slow spell of a shared machine hits every contender alike (seconds)."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for key, fn in fns.items():
            fn()
            for _ in range(number):
                start = time.perf_counter()
                fn()
                best[key] = min(best[key], time.perf_counter() - start)
    return best


def write(name: str, records: list[dict]) -> Path:
    """Write a benchmark's records, with the environment, to bench/results/NAME.json."""
    RESULTS.mkdir(exist_ok=True)
    env = environment()
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps([{**r, **env} for r in records], indent=2) + "\n")
    return path
