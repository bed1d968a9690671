"""Trainings that are killed, raced or removed, in real processes.

A SIGKILL (the OOM killer, a power cut, a preempted machine) gives the process no
chance to save: what survives is what the store already holds. Two trainings of one
name, and `models rm` of a model in training, meet the model's lock.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seqcli.store import LOCK, Store

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CORPUS = (
    "".join(
        f"the {a} {b} sat on the {c} mat.\n"
        for a in ("quick", "lazy", "red", "old")
        for b in ("cat", "dog", "fox")
        for c in ("blue", "green", "soft", "warm", "wide")
    )
    * 8
)
TINY = ["--embedding", "8", "--hidden", "32", "--layers", "1", "--batch-size", "4"]
TINY += ["--bptt", "32", "--warmup", "1", "--lr", "0.01", "--eval-every", "3", "-q"]
# the runs end by their time budget, not early nor with their epochs done (on a fast
# machine 20 epochs of this corpus take under 10 s)
TINY += ["--patience", "1000", "--epochs", "10000"]


def start(tmp_path, *args) -> subprocess.Popen:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS)
    env = {
        **os.environ,
        "SEQCLI_HOME": str(tmp_path / "store"),
        "SEQCLI_DEVICE": "cpu",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "seqcli", "train", "charlm", str(corpus)]
    return subprocess.Popen(
        [*command, *TINY, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def state_step(folder: Path) -> int | None:
    """The global step of the saved training state, if there is one."""
    try:
        meta = json.loads((folder / "train-state.json").read_text())
    except FileNotFoundError:
        return None
    return meta["position"]["global_step"]


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_training_killed_at_random_moments_resumes_each_time(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQCLI_HOME", str(tmp_path / "store"))
    folder = tmp_path / "store" / "k9"
    rng = random.Random(9)
    steps = []
    for attempt in range(4):
        resume = ["--resume"] if attempt else []
        run = start(tmp_path, "--name", "k9", "--time-budget", "10", *resume)
        if attempt < 3:
            # once a state exists, kill at a random moment: mid-step,
            # mid-evaluation or mid-save, all happen every few milliseconds
            before = state_step(folder)
            wait_for(lambda b=before: state_step(folder) not in (None, b))
            time.sleep(rng.uniform(0.0, 0.4))
            run.send_signal(signal.SIGKILL)
            run.wait()
            # what the store holds is whole: the best model loads, the state too
            manifest, tensors = Store().load("k9", "charlm")
            assert tensors and manifest["metrics"]["loss"] > 0
            meta, _ = Store().load_state("k9")
            steps.append(meta["position"]["global_step"])
        else:
            _, err = run.communicate(timeout=120)
            assert run.returncode == 0, err
    assert steps == sorted(steps) and steps[-1] > steps[0] > 0  # each run went on
    meta, _ = Store().load_state("k9")
    assert meta["position"]["stopped"] == "time budget"
    assert meta["position"]["global_step"] > steps[-1]
    # the budget stops a run one evaluation early when the next would overrun it
    assert meta["position"]["elapsed"] >= 8
    with Store().lock("k9"):  # no process holds the lock any more
        assert (folder / LOCK).exists()


def test_two_trainings_of_one_name_one_trains_and_the_other_is_refused(tmp_path):
    runs = [
        start(tmp_path, "--name", "cc", "--time-budget", "4", "--hidden", size)
        for size in ("32", "16")
    ]
    ended = {}  # when each run ended
    deadline = time.monotonic() + 120
    while len(ended) < 2 and time.monotonic() < deadline:
        for i, run in enumerate(runs):
            if i not in ended and run.poll() is not None:
                ended[i] = time.monotonic()
        time.sleep(0.02)
    results = [(run.returncode, run.stderr.read()) for run in runs]
    assert sorted(code for code, _ in results) == [0, 1], results
    (winner,) = [i for i, (code, _) in enumerate(results) if code == 0]
    loser = 1 - winner
    assert ended[loser] < ended[winner] - 2  # refused at once, not after training
    message = results[loser][1]
    assert f"another process (pid {runs[winner].pid})" in message
    assert "Traceback" not in message and len(message.strip().splitlines()) == 1
    stored = json.loads((tmp_path / "store/cc/manifest.json").read_text())
    assert stored["config"]["hidden"] == (32, 16)[winner]  # the winner's model


def test_removing_replacing_or_resuming_a_model_in_training_is_refused(
    tmp_path, runner, invoke, monkeypatch
):
    monkeypatch.setenv("SEQCLI_HOME", str(tmp_path / "store"))
    run = start(tmp_path, "--name", "dd", "--time-budget", "60")
    folder = tmp_path / "store" / "dd"
    wait_for(lambda: state_step(folder) is not None)
    refused = invoke(runner, "models", "rm", "dd")
    assert refused.exit_code == 1
    assert f"another process (pid {run.pid})" in refused.stderr
    assert (folder / "manifest.json").exists()  # nothing was removed
    corpus = tmp_path / "corpus.txt"
    for again in (["--force"], ["--resume"]):
        retrain = invoke(
            runner,
            "train",
            "charlm",
            corpus,
            "--name",
            "dd",
            *TINY,
            "--epochs",
            "1",
            *again,
        )
        assert retrain.exit_code == 1, retrain.output
        assert f"another process (pid {run.pid})" in retrain.stderr
    assert run.poll() is None  # the training went on meanwhile
    run.send_signal(signal.SIGTERM)  # saves its state and ends
    _, err = run.communicate(timeout=120)
    assert run.returncode == 130, err
    assert "dd" in Store().names()
    removed = invoke(runner, "models", "rm", "dd")
    assert removed.exit_code == 0 and not folder.exists()
