"""Data-parallel training: 2 gloo processes under torchrun equal one process trained
on the same global batch."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

pytestmark = pytest.mark.slow  # torchrun launches: tens of seconds

ROOT = Path(__file__).resolve().parents[1]
CORPUS = "the quick brown fox jumps over the lazy dog. " * 40
SETTINGS = [
    "--embedding",
    "8",
    "--hidden",
    "16",
    "--layers",
    "2",
    "--dropout",
    "0",
    "--bptt",
    "16",
    "--epochs",
    "2",
    "--warmup",
    "2",
    "--lr",
    "0.01",
    "-q",
]

TORCHRUN = [
    sys.executable,
    "-m",
    "torch.distributed.run",
    "--standalone",
    "--nproc_per_node",
    "2",
]

# a rank that crashes prints its Python stack (faulthandler)
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONFAULTHANDLER": "1"}


def train(tmp_path, home: str, *launcher, batch: int, extra: tuple = ()):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS)
    env = {**ENV, "SEQCLI_HOME": str(tmp_path / home)}
    command = [
        *launcher,
        "-m",
        "seqcli",
        "train",
        "charlm",
        str(corpus),
        "--name",
        "m",
        "--batch-size",
        str(batch),
        *SETTINGS,
        *extra,  # the last value of a repeated option wins
    ]
    result = subprocess.run(command, env=env, capture_output=True, timeout=300)
    assert result.returncode == 0, report(result)
    return tmp_path / home / "m"


def report(result) -> str:
    """The ranks' own lines come first on stderr, the launcher's summary last."""
    err = result.stderr.decode()
    return err if len(err) < 4000 else f"{err[:2500]}\n...\n{err[-1500:]}"


def final_weights(folder: Path, part: str = "model.") -> dict:
    (state,) = folder.glob("train-state-*.safetensors")
    return {k: v for k, v in load_file(state).items() if k.startswith(part)}


# torch's own LSTM, and seqcli's own minGRU (GRU and Elman are torch modules as
# the LSTM is: they add time to the suite, not a case)
@pytest.mark.parametrize("cell", ["lstm", "mingru"])
def test_two_processes_equal_one_process_with_the_global_batch(tmp_path, cell):
    # the moving average of the weights too
    extra = ("--ema", "0.9", "--cell", cell)
    two = train(tmp_path, "two", *TORCHRUN, batch=2, extra=extra)
    one = train(tmp_path, "one", sys.executable, batch=4, extra=extra)
    a, b = final_weights(two), final_weights(one)
    a |= final_weights(two, "ema.")
    b |= final_weights(one, "ema.")
    assert a.keys() == b.keys() and any(k.startswith("ema.") for k in a)
    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-5), key
    # rank 0 alone wrote: one manifest, one weights file, one training state
    names = sorted(p.name.split("-")[0] for p in two.iterdir())
    assert names == [".lock", "manifest.json", "model", "train", "train"]
    assert [p.name for p in two.glob(".*")] == [".lock"]  # no temporary file left


def test_resume_under_torchrun_continues_where_it_stopped(tmp_path):
    constant = ("--schedule", "constant")  # the same learning rates in every run
    train(tmp_path, "resumed", *TORCHRUN, batch=2, extra=(*constant, "--epochs", "1"))
    resumed = train(
        tmp_path, "resumed", *TORCHRUN, batch=2, extra=(*constant, "--resume")
    )
    straight = train(tmp_path, "straight", *TORCHRUN, batch=2, extra=constant)
    a, b = final_weights(resumed), final_weights(straight)
    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-6), key


def test_the_classifier_trains_under_torchrun(tmp_path):
    """Every kind goes through the one loop: two processes share the classifier's
    batches (RankBatches) and rank 0 alone writes the model."""
    reviews = (ROOT / "corpora" / "reviews.tsv").read_text().splitlines()[:400]
    data = tmp_path / "reviews.tsv"
    data.write_text("\n".join(reviews) + "\n")
    env = {**ENV, "SEQCLI_HOME": str(tmp_path / "store")}
    command = [*TORCHRUN, "-m", "seqcli", "train", "classifier", str(data)]
    command += ["--name", "c", "--embedding", "16", "--hidden", "16", "--epochs", "6"]
    command += ["--lr", "0.01", "--warmup", "5"]
    result = subprocess.run(command, env=env, capture_output=True, timeout=300)
    assert result.returncode == 0, report(result)
    # rank 0 reports for both
    lines = result.stderr.decode().splitlines()
    assert lines.count("device: cpu, 2 processes") == 1
    assert sum(line.startswith("classifier c: ") for line in lines) == 1, lines
    manifest = json.loads((tmp_path / "store/c/manifest.json").read_text())
    assert manifest["kind"] == "classifier" and manifest["metrics"]["accuracy"] > 0.6
    meta = json.loads((tmp_path / "store/c/train-state.json").read_text())
    # 360 training texts in batches of 32: 12 batches, 6 per rank and epoch
    assert meta["position"]["global_step"] == 36
