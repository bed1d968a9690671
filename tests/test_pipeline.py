"""The pipeline contract with real processes: what happens when a reader goes away,
when the output device is full, when the input is empty."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "corpora"
TINY = ["--time-budget", "4", "--seed", "1"]
# each kind's smallest training on corpora/
TRAININGS = {
    "charlm": ["charlm", CORPORA / "story.txt", "--hidden", "32", "--batch-size", "8"],
    "tagger": ["tagger", CORPORA / "ner.conll", "--embedding", "16", "--hidden", "16"],
    "translator": [
        "translator",
        "--pairs",
        CORPORA / "phrases.tsv",
        "--embedding",
        "16",
        "--hidden",
        "16",
    ],
    "classifier": [
        "classifier",
        CORPORA / "reviews.tsv",
        "--embedding",
        "16",
        "--hidden",
        "16",
    ],
}


def env_for(home: Path) -> dict:
    return {
        **os.environ,
        "SEQCLI_HOME": str(home),
        "SEQCLI_DEVICE": "cpu",
        "PYTHONPATH": str(ROOT),
        "OMP_NUM_THREADS": "1",
    }


@pytest.mark.slow  # a real training per kind: seconds each
@pytest.mark.parametrize("kind", sorted(TRAININGS))
def test_a_training_whose_stderr_reader_goes_away_goes_on_and_saves(tmp_path, kind):
    """`seqcli train ... 2>&1 | head -1`: the reader leaves after one line, and the
    training still runs to its end and saves its model."""
    args = [str(a) for a in ["train", *TRAININGS[kind], "--name", "m", *TINY]]
    process = subprocess.Popen(
        [sys.executable, "-m", "seqcli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env_for(tmp_path),
        cwd=tmp_path,
    )
    first = process.stderr.readline()
    assert first  # it had begun to report
    process.stderr.close()  # the reader goes away
    assert process.wait(timeout=120) == 0
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["kind"] == kind
    assert list((tmp_path / "m").glob("model*.safetensors"))
    listed = subprocess.run(
        [sys.executable, "-m", "seqcli", "models", "list"],
        capture_output=True,
        text=True,
        env=env_for(tmp_path),
        timeout=60,
    )
    assert listed.returncode == 0 and "m" in listed.stdout.split()


def seqcli(*args, home: Path, input: bytes = b"", timeout: float = 120):
    """`seqcli ARGS` as a real process on `input`."""
    return subprocess.run(
        [sys.executable, "-m", "seqcli", *map(str, args)],
        input=input,
        capture_output=True,
        env=env_for(home),
        timeout=timeout,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["tag"],
        ["tag", "--input", "conll", "--format", "conll"],
        ["classify"],
        ["translate"],
    ],
)
def test_a_filter_given_no_lines_writes_none_and_exits_0(tmp_path, args):
    done = seqcli(*args, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == b""
    assert b"Error" not in done.stderr


def test_training_on_an_empty_corpus_stays_an_error(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    done = seqcli(
        "train", "charlm", tmp_path / "empty.txt", "--name", "m", home=tmp_path
    )
    assert done.returncode == 1
    assert (
        done.stderr.decode().splitlines()[-1].startswith("Error: the corpus is empty")
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize(
    ("args", "input"),
    [
        (["generate", "-n", "100", "--seed", "1"], b""),
        (["generate", "-n", "5", "--seed", "1", "--json"], b""),
        (["tag"], b"Anna flew to Oslo.\n"),
        (["classify"], b"A fine film.\n"),
        (["models", "list"], b""),
    ],
)
def test_a_full_output_device_is_one_error_line(tmp_path, args, input):
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [sys.executable, "-m", "seqcli", *args],
            input=input,
            stdout=full,
            stderr=subprocess.PIPE,
            env=env_for(tmp_path),
            timeout=120,
        )
    stderr = done.stderr.decode()
    assert done.returncode == 1, stderr
    assert (
        stderr.splitlines()[-1]
        == "Error: cannot write the output: No space left on device"
    )
    assert "Traceback" not in stderr and "Exception ignored" not in stderr


def read_line_within(stream, seconds: float) -> bytes | None:
    """The next line of a process's stdout, or None when none came in time."""
    import select

    line = b""
    deadline = time.monotonic() + seconds
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([stream], [], [], left)[0]:
            return None
        byte = os.read(stream.fileno(), 1)
        if not byte:
            return line or None
        line += byte
    return line


@pytest.mark.skipif(os.name == "nt", reason="select() on pipes")
@pytest.mark.parametrize("command", ["tag", "classify", "translate"])
def test_each_line_is_answered_when_the_input_pauses(tmp_path, command):
    """A writer sends a line and waits: its answer comes before the next line is
    written (and before the input ends)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "seqcli", command],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env_for(tmp_path),
    )
    try:
        answers = []
        for line in [b"Anna flew to Oslo.\n", b"A fine film.\n"]:
            process.stdin.write(line)
            process.stdin.flush()
            # the model loads before the first answer: a generous wait
            answers.append(read_line_within(process.stdout, 60))
            assert answers[-1] is not None, f"no answer to {line!r} while waiting"
        process.stdin.close()
        assert process.stdout.read() == b""
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
        process.wait()


def test_a_fast_stream_is_still_read_in_full_groups(monkeypatch):
    from seqcli import data

    sizes = []
    items = ["a"] * 10 + [None] + ["b"] * 3 + [None, None] + ["c"]
    for group in data.groups(iter(items), 4):
        sizes.append(len(group))
    assert sizes == [4, 4, 2, 3, 1]
    assert data.first_lines(iter([None, "a", "b", None, "c"]), 5) == [
        None, "a", "b", None
    ]  # fmt: skip
    assert data.count_lines([None, "a", None]) == 1


def test_a_prime_over_text_piped_by_a_process_says_which_wins(tmp_path):
    args = ["generate", "-n", 3, "--seed", 1, "--prime", "ROMEO:"]
    piped = seqcli(*args, home=tmp_path, input=b"JULIET:\n")
    assert piped.returncode == 0 and piped.stdout.startswith(b"ROMEO:")
    assert b"--prime is used" in piped.stderr
    alone = seqcli(*args, home=tmp_path, input=b"")
    assert alone.returncode == 0 and b"--prime is used" not in alone.stderr
