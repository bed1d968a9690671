"""The command line end to end, through Click's runner and through real pipes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = "the quick brown fox jumps over the lazy dog.\n" * 60
TINY = [
    "--embedding",
    "8",
    "--hidden",
    "24",
    "--layers",
    "1",
    "--batch-size",
    "4",
    "--bptt",
    "32",
    "--epochs",
    "3",
    "--warmup",
    "1",
    "--lr",
    "0.02",
]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def trained_store(train_once):
    """A store holding one small charlm, 'tiny', trained through the CLI."""
    return train_once(
        "train", "charlm", "corpus.txt", "--name", "tiny", *TINY,
        files={"corpus.txt": CORPUS},
    )  # fmt: skip


def one_error_line(result) -> bool:
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    return len(errors) == 1 and "Traceback" not in result.output


def listed_commands(help_text: str) -> list[str]:
    """The command names in the "Commands:" section of a --help text."""
    lines = help_text.splitlines()
    start = lines.index("Commands:") + 1
    names = []
    for line in lines[start:]:
        if not line.startswith("  "):  # a blank line or the next section ends it
            break
        if not line.startswith("   "):  # a wrapped description is indented deeper
            names.append(line.split()[0])
    return names


def test_help_lists_every_command(runner, invoke):
    result = invoke(runner, "--help")
    assert result.exit_code == 0
    commands = ["classify", "eval", "export", "generate", "models", "serve", "tag"]
    commands += ["train"]
    assert sorted(listed_commands(result.stdout)) == [*commands, "translate"]
    train = invoke(runner, "train", "--help")
    assert train.exit_code == 0
    assert sorted(listed_commands(train.stdout)) == [
        "charlm", "classifier", "tagger", "translator",
    ]  # fmt: skip
    for command in commands:
        assert invoke(runner, command, "--help").exit_code == 0, command


def test_listed_commands_reads_only_the_commands_section():
    text = (
        "Usage: x [OPTIONS] COMMAND\n\n  seqcli train charlm book.txt\n\n"
        "Options:\n  --help  Show this.\n\n"
        "Commands:\n  eval   Score a model on\n         held-out data.\n"
        "  train  Train.\n\nEpilog:\n  tag  not a command\n"
    )
    assert listed_commands(text) == ["eval", "train"]


def test_train_reports_progress_on_stderr_only(trained_store):
    result = trained_store.result
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert any(line.startswith("training tiny") and "%" in line for line in lines)
    epochs = [line for line in lines if "dev loss" in line]
    assert [line.split(":")[0] for line in epochs] == [
        "epoch 1.00 step 20", "epoch 2.00 step 40", "epoch 3.00 step 60",
    ]  # fmt: skip
    assert "tiny: stopped (epochs done) after 60 steps" in result.stderr
    manifest = json.loads((trained_store.store / "tiny/manifest.json").read_text())
    assert manifest["kind"] == "charlm"
    assert manifest["metrics"]["loss"] < 3.0  # better than uniform over 27 symbols
    assert len(manifest["history"]) == 3


def test_generate_writes_the_asked_number_of_characters(home, runner, invoke):
    result = invoke(
        runner, "generate", "-m", "tiny", "--prime", "the", "-n", 50, "--seed", 1
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("the")
    assert len(result.stdout) == 3 + 50 + 1
    again = invoke(
        runner, "generate", "-m", "tiny", "--prime", "the", "-n", 50, "--seed", 1
    )
    assert again.stdout == result.stdout


def test_generate_reads_the_prime_from_stdin(home, runner, invoke):
    result = invoke(runner, "generate", "-m", "tiny", "-n", 5, input="the lazy\n")
    assert result.exit_code == 0
    assert result.stdout.startswith("the lazy") and len(result.stdout) == 8 + 5 + 1


def test_generate_json_samples(home, runner, invoke):
    result = invoke(
        runner,
        "generate",
        "-m",
        "tiny",
        "-n",
        20,
        "--samples",
        3,
        "--json",
        "--prime",
        "fox",
        "--top-k",
        5,
        "--top-p",
        0.9,
    )
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["sample"] for r in rows] == [1, 2, 3]
    assert all(r["prime"] == "fox" and len(r["text"]) == 20 for r in rows)


def test_unknown_prime_characters_are_skipped_with_a_warning(home, runner, invoke):
    result = invoke(runner, "generate", "-m", "tiny", "-n", 5, "--prime", "th€e")
    assert result.exit_code == 0
    assert "never saw" in result.stderr and "€" in result.stderr
    assert result.stdout.startswith("th€e")  # the prime as given


@pytest.mark.parametrize("args", [[], ["--json"], ["--samples", "2"]])
def test_the_output_starts_with_the_prime_exactly_as_given(home, runner, invoke, args):
    prime = "Grüße 😀 从 the"
    result = invoke(runner, "generate", "-m", "tiny", "-n", 5, "--prime", prime, *args)
    assert result.exit_code == 0, result.output
    if args == ["--json"]:
        assert json.loads(result.stdout)["prime"] == prime
    else:
        assert result.stdout.startswith(prime)
    assert "never saw" in result.stderr and "😀" in result.stderr


def test_generate_reads_stdin_as_the_other_commands_do(home, runner, invoke):
    bad = invoke(runner, "generate", "-m", "tiny", "-n", 5, input=b"the caf\xe9\n")
    assert bad.exit_code == 1
    assert bad.stderr.splitlines()[-1].startswith(
        "Error: -: not valid UTF-8 at byte 7 (fix the file or pass --encoding-errors"
    )
    replaced = invoke(
        runner, "generate", "-m", "tiny", "-n", 5, "--encoding-errors", "replace",
        input=b"the caf\xe9\n",
    )  # fmt: skip
    assert replaced.exit_code == 0 and replaced.stdout.startswith("the caf\ufffd")
    # a byte-order mark and CRLF line ends are dropped, not warned about
    crlf = invoke(
        runner, "generate", "-m", "tiny", "-n", 5, "--json",
        input="\ufeffthe dog\r\nthe fox\r\n".encode(),
    )  # fmt: skip
    assert crlf.exit_code == 0, crlf.output
    assert json.loads(crlf.stdout)["prime"] == "the dog\nthe fox"
    assert "warning" not in crlf.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["-n", "-1"], "--length"),
        (["-t", "nan"], "temperature"),
        (["-t", "inf"], "temperature"),
        (["-t", "-0.5"], "temperature"),
        (["--top-p", "0"], "top-p"),
        (["--top-p", "1.5"], "top-p"),
    ],
)
def test_bad_generate_options_exit_2(home, runner, args, message, invoke):
    result = invoke(runner, "generate", "-m", "tiny", *args)
    assert result.exit_code == 2 and message in result.stderr


def test_unknown_model_lists_what_exists(home, runner, invoke):
    result = invoke(runner, "generate", "-m", "nope")
    assert result.exit_code == 1
    assert "no model named 'nope' (models: " in result.stderr
    assert "tiny" in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.output


def test_tampered_checkpoint_is_refused(home, runner, invoke):
    (weights,) = (home / "tiny").glob("model-*.safetensors")
    weights.write_bytes(weights.read_bytes()[:-3] + b"xyz")
    result = invoke(runner, "generate", "-m", "tiny", "-n", 5)
    assert result.exit_code == 1 and "damaged" in result.stderr
    assert one_error_line(result)


def test_checkpoint_of_another_kind_is_refused(home, runner, invoke):
    path = home / "tiny" / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "kind": "tagger"}))
    result = invoke(runner, "generate", "-m", "tiny")
    assert result.exit_code == 1 and "is a tagger model, not a charlm" in result.stderr


def test_eval_json(home, runner, tmp_path, invoke):
    held_out = tmp_path / "held.txt"
    held_out.write_text("the lazy dog jumps over the quick brown fox.\n" * 3)
    result = invoke(runner, "eval", "-m", "tiny", "--json", held_out)
    metrics = json.loads(result.stdout)
    assert set(metrics) == {"loss", "bpc", "perplexity", "characters"}
    assert metrics["bpc"] == pytest.approx(metrics["loss"] / 0.6931471805599453)


@pytest.mark.parametrize(
    "option", [["--src", "x.txt"], ["--pairs", "x.tsv"], ["--label-column", "1"]]
)
def test_eval_refuses_options_of_other_kinds(home, runner, invoke, tmp_path, option):
    held_out = tmp_path / "held.txt"
    held_out.write_text("the lazy dog jumps over the quick brown fox.\n" * 3)
    result = invoke(runner, "eval", "-m", "tiny", held_out, *option)
    assert result.exit_code == 2 and one_error_line(result)
    assert f"{option[0]} does not apply to a charlm model" in result.stderr
    assert result.stdout == ""


def test_models_list_show_rm(home, runner, invoke):
    listed = invoke(runner, "models", "list", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["name"] for r in rows if not r["builtin"]] == ["tiny"]
    assert "tiny" in invoke(runner, "models", "list").stdout
    shown = json.loads(invoke(runner, "models", "show", "tiny").stdout)
    assert shown["kind"] == "charlm" and "sha256" in shown["weights"]
    assert invoke(runner, "models", "rm", "tiny").exit_code == 0
    assert not (home / "tiny").exists()
    assert invoke(runner, "models", "rm", "tiny").exit_code == 1


def panels(path: Path) -> list:
    """(curve, x axis, [(x, y) pixel of each point]) of each panel of an SVG plot."""
    import xml.etree.ElementTree as ET

    ns = "{http://www.w3.org/2000/svg}"
    root = ET.parse(path).getroot()  # well-formed XML, or this raises
    return [
        (
            g.get("data-curve"),
            g.get("data-x"),
            [(float(c.get("cx")), float(c.get("cy"))) for c in g.iter(f"{ns}circle")],
        )
        for g in root.iter(f"{ns}g")
        if g.get("class") == "panel"
    ]


def test_models_plot_draws_the_training_history(home, runner, invoke, tmp_path):
    full = invoke(runner, "models", "show", "tiny", "--full").stdout
    history = json.loads(full)["history"]
    assert len(history) >= 2  # an evaluation per epoch
    result = invoke(runner, "models", "plot", "tiny", "-o", tmp_path / "c.svg")
    assert result.exit_code == 0 and result.stdout == ""
    # the training loss and the char-LM's dev loss against steps and against time,
    # a point per evaluation
    found = panels(tmp_path / "c.svg")
    assert [(curve, x) for curve, x, _ in found] == [
        ("train_loss", "step"),
        ("train_loss", "seconds"),
        ("loss", "step"),
        ("loss", "seconds"),
    ]
    assert all(len(points) == len(history) for _, _, points in found)
    for _, _, points in found[2:]:
        # later evaluations lie to the right; a higher loss is drawn higher up
        assert [p[0] for p in points] == sorted(p[0] for p in points)
        by_loss = sorted(range(len(history)), key=lambda i: -history[i]["loss"])
        by_height = sorted(range(len(history)), key=lambda i: points[i][1])
        assert by_loss == by_height
    pytest.importorskip("matplotlib")
    result = invoke(runner, "models", "plot", "tiny", "-o", tmp_path / "c.png")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_models_plot_draws_a_recorded_training_loss(tmp_path):
    from seqcli import plot

    history = [
        {"epoch": 1, "step": 10, "seconds": 1.5, "train_loss": 2.0, "f1": 0.5},
        {"epoch": 2, "step": 20, "seconds": 3.0, "train_loss": 1.0, "f1": 0.7},
    ]
    manifest = {"kind": "tagger", "history": history}
    plot.write(manifest, "t", tmp_path / "t.svg")
    found = panels(tmp_path / "t.svg")
    assert [curve for curve, _, _ in found] == ["train_loss"] * 2 + ["f1"] * 2
    assert "no training loss" not in (tmp_path / "t.svg").read_text()


def test_models_plot_errors_are_one_line(home, runner, invoke, tmp_path, monkeypatch):
    def fails(*args, code=1):
        result = invoke(runner, "models", "plot", *args)
        assert result.exit_code == code and one_error_line(result), result.output
        return result.stderr

    assert "no model named 'nope'" in fails("nope", "-o", tmp_path / "c.svg")
    assert ".svg or .png" in fails("tiny", "-o", tmp_path / "c.pdf", code=2)
    assert "cannot write" in fails("tiny", "-o", tmp_path / "no" / "c.svg")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # not installed
    assert "seqcli[plot]" in fails("tiny", "-o", tmp_path / "c.png")
    manifest = json.loads((home / "tiny" / "manifest.json").read_text())
    manifest["history"] = []
    (home / "tiny" / "manifest.json").write_text(json.dumps(manifest))
    assert "no training history" in fails("tiny", "-o", tmp_path / "c.svg")
    assert not list(tmp_path.glob("c.*"))


def test_training_refuses_to_overwrite_without_force(home, runner, tmp_path, invoke):
    corpus = tmp_path / "c.txt"
    corpus.write_text(CORPUS)
    before = (home / "tiny" / "manifest.json").read_bytes()
    result = invoke(runner, "train", "charlm", corpus, "--name", "tiny", *TINY)
    assert result.exit_code == 1 and "--force" in result.stderr
    assert (home / "tiny" / "manifest.json").read_bytes() == before


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "the corpus is empty"),
        (b"good text\n\xff\xfe bad", "not valid UTF-8 at byte 10"),
    ],
)
def test_bad_corpora_are_clear_errors(runner, tmp_path, content, message, invoke):
    corpus = tmp_path / "c.txt"
    corpus.write_bytes(content)
    result = invoke(runner, "train", "charlm", corpus, "--name", "x", *TINY)
    assert result.exit_code == 1 and message in result.stderr
    assert one_error_line(result)


def test_invalid_utf8_can_be_replaced(runner, tmp_path, invoke):
    corpus = tmp_path / "c.txt"
    corpus.write_bytes(CORPUS.encode() + b"\xff")
    result = invoke(
        runner,
        "train",
        "charlm",
        corpus,
        "--name",
        "x",
        *TINY,
        "--encoding-errors",
        "replace",
        "-q",
    )
    assert result.exit_code == 0, result.output


def test_a_corpus_shorter_than_a_batch_shrinks_the_batch(runner, tmp_path, invoke):
    corpus = tmp_path / "c.txt"
    corpus.write_text("abcabcabcabc" * 10)
    result = invoke(
        runner, "train", "charlm", corpus, "--name", "x", "--hidden", 8, "--epochs", 1
    )
    assert result.exit_code == 0, result.output
    assert "shorter than one batch" in result.stderr


def run_seqcli(*args, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run(
        [sys.executable, "-m", "seqcli", *map(str, args)],
        capture_output=True,
        env=env,
        **kwargs,
    )


@pytest.mark.slow  # real processes: seconds
def test_a_closed_pipe_ends_generation_quietly(home):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    pipeline = subprocess.run(
        f"{sys.executable} -m seqcli generate -m tiny -n 100000 -q | head -c 20",
        shell=True,
        capture_output=True,
        env=env,
        executable="/bin/bash",
        timeout=120,
    )
    assert len(pipeline.stdout) == 20
    assert b"Traceback" not in pipeline.stderr and b"Error" not in pipeline.stderr
    status = subprocess.run(
        f"set -o pipefail; {sys.executable} -m seqcli generate -m tiny -n 100000 -q "
        "| head -c 5 >/dev/null",
        shell=True,
        env=env,
        executable="/bin/bash",
        timeout=120,
    )
    assert status.returncode == 0


@pytest.mark.slow
def test_stdout_holds_only_data_in_a_real_pipe(home):
    result = run_seqcli(
        "generate", "-m", "tiny", "-n", 30, "--prime", "lazy", input=b"", timeout=120
    )
    assert result.returncode == 0
    assert result.stdout.decode().startswith("lazy")
    assert b"device: cpu" in result.stderr


def test_the_same_seed_trains_the_same_weights(runner, tmp_path, invoke):
    corpus = tmp_path / "c.txt"
    corpus.write_text(CORPUS)
    digests = []
    for name in ("a", "b"):
        result = invoke(
            runner, "train", "charlm", corpus, "--name", name, *TINY, "--seed", 3, "-q"
        )
        assert result.exit_code == 0, result.output
        shown = json.loads(invoke(runner, "models", "show", name).stdout)
        digests.append(shown["weights"]["sha256"])
    assert digests[0] == digests[1]


@pytest.mark.slow
def test_ctrl_c_saves_a_resumable_state_and_exits_130(tmp_path):
    import signal

    corpus = tmp_path / "c.txt"
    corpus.write_text(CORPUS)
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "SEQCLI_HOME": str(tmp_path / "home"),
    }
    args = [
        sys.executable,
        "-m",
        "seqcli",
        "train",
        "charlm",
        str(corpus),
        "--name",
        "m",
        "--hidden",
        "16",
        "--layers",
        "1",
        "--batch-size",
        "2",
        "--bptt",
        "8",
    ]
    proc = subprocess.Popen(
        [*args, "--epochs", "500", "--eval-every", "5"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in proc.stderr:  # the first dev evaluation: training is under way
        if "dev loss" in line:
            break
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, rest
    assert "--resume" in rest and "Traceback" not in rest
    resumed = subprocess.run(
        [*args, "--epochs", "1", "--resume", "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr


@pytest.mark.parametrize("cell", ["gru", "mingru", "rnn"])
def test_a_model_of_another_cell_trains_generates_and_scores(
    runner, tmp_path, invoke, monkeypatch, cell
):
    monkeypatch.setenv("SEQCLI_HOME", str(tmp_path / "home"))
    corpus = tmp_path / "c.txt"
    corpus.write_text(CORPUS)
    args = ["train", "charlm", corpus, "--name", "m", *TINY, "--cell", cell, "-q"]
    assert invoke(runner, *args).exit_code == 0
    manifest = json.loads((tmp_path / "home" / "m" / "manifest.json").read_text())
    assert manifest["config"]["cell"] == cell
    runs = [
        invoke(runner, "generate", "-m", "m", "-n", "80", "--seed", "3", "-q")
        for _ in range(2)
    ]
    assert runs[0].exit_code == 0 and runs[0].stdout == runs[1].stdout
    assert len(runs[0].stdout) >= 80
    scores = invoke(runner, "eval", "-m", "m", "--json", corpus)
    assert json.loads(scores.stdout)["bpc"] < 3.0


def test_models_saved_without_a_cell_are_lstms():
    from seqcli import kinds
    from seqcli.store import Store

    for name in ("shakespeare", "conll-en", "multi30k-en-de", "sentiment-en"):
        manifest, tensors = Store().load(name)
        if manifest["config"].pop("cell", "lstm") != "lstm":
            continue
        model = kinds.build(manifest)  # as saved before the cell was recorded
        assert model.cfg.cell == "lstm"
        model.load_state_dict({k: v.float() for k, v in tensors.items()})


def test_one_sample_generates_without_importing_torch(home):
    code = (
        "import sys; from seqcli.cli import main\n"
        "sys.argv = ['seqcli', 'generate', '-m', 'tiny', '-n', '50', '--seed', '1']"
        " + sys.argv[1:]\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('torch' in sys.modules, file=sys.stderr)"
    )
    env = {**os.environ, "SEQCLI_DEVICE": "cpu"}
    runs = {}
    for extra in ([], ["--samples", "2"]):
        done = subprocess.run(
            [sys.executable, "-c", code, *extra],
            input="",
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        runs[len(extra)] = done
    assert runs[0].stderr.splitlines()[-1] == "False"  # one stream: numpy
    assert runs[2].stderr.splitlines()[-1] == "True"  # several: torch
    assert "device: cpu (numpy)" in runs[0].stderr
    assert len(runs[0].stdout) > 50
