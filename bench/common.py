"""Shared helpers for the benchmark scripts: timing and writing result records."""

import datetime
import json
import platform
import re
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def environment() -> dict:
    import torch

    return {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "machine": platform.machine(),
        "cpu": cpu(),
        "python": platform.python_version(),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
    }


def cpu() -> str:
    """The CPU's model name and the flags that decide kernels, as lscpu shows them."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return "unknown"
    model = re.search(r"^model name\s*:\s*(.+)$", info, re.MULTILINE)
    flags = re.search(r"^flags\s*:\s*(.+)$", info, re.MULTILINE)
    have = set(flags[1].split()) if flags else set()
    wanted = ("avx2", "avx512f", "avx512_vnni", "amx_tile")
    shown = [f for f in wanted if f in have]
    return f"{model[1] if model else 'unknown'} ({' '.join(shown) or 'no avx2'})"


def overrides(pairs: list[str], config, training) -> tuple[dict, dict]:
    """--set KEY=VALUE pairs as (changes to `config`, a kind's settings dataclass,
    and changes to `training`, its TrainConfig), each value of the default's type."""
    changed_config, changed_training = {}, {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        key = key.replace("-", "_")
        if isinstance(getattr(config, key, None), bool):
            changed_config[key] = value.lower() in ("1", "true", "yes", "on")
        elif hasattr(config, key):
            changed_config[key] = type(getattr(config, key))(value)
        elif hasattr(training, key):
            old = getattr(training, key)
            kind = float if old is None else type(old)
            changed_training[key] = kind(value)
        else:
            raise SystemExit(f"error: --set {key}: no such setting")
    return changed_config, changed_training


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
