"""Every numeric option of every command: NaN, infinity and out-of-range seeds are
usage errors (exit 2), and the help shows each option's real range."""

import click
import pytest

from seqcli.cli import cli
from seqcli.cli.options import FloatRange


def commands(group: click.Group = cli, path: tuple = ()):
    """(command path, command) for every command under `group`."""
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


def float_options():
    return [
        (path, option.opts[0])
        for path, command in commands()
        for option in command.params
        if isinstance(option.type, click.types.FloatParamType)
    ]


def test_every_float_option_is_a_finite_range():
    found = float_options()
    assert len(found) > 20  # each train kind, generate, translate
    loose = [
        (path, option.opts[0])
        for path, command in commands()
        for option in command.params
        if isinstance(option.type, click.types.FloatParamType)
        and not isinstance(option.type, FloatRange)
    ]
    assert loose == []


# what each command needs besides the option under test (nothing is read: the
# options are checked first)
REQUIRED = {
    ("train", "charlm"): ["x.txt", "--name", "m"],
    ("train", "tagger"): ["x.conll", "--name", "m"],
    ("train", "translator"): ["--pairs", "x.tsv", "--name", "m"],
    ("train", "classifier"): ["x.tsv", "--name", "m"],
}


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "infinity"])
@pytest.mark.parametrize(("path", "flag"), float_options())
def test_nan_and_infinity_are_usage_errors(runner, invoke, path, flag, value):
    result = invoke(runner, *path, *REQUIRED.get(path, []), f"{flag}={value}")
    assert result.exit_code == 2, result.output
    assert "finite" in result.stderr or "range" in result.stderr, result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "--seed", "-1"],
        ["generate", "--seed", "99999999999999999999"],
        ["train", "charlm", "x.txt", "--name", "m", "--seed", "-1"],
        ["train", "tagger", "x.conll", "--name", "m", "--seed", 2**64],
    ],
)
def test_seeds_out_of_range_are_usage_errors(runner, invoke, args):
    result = invoke(runner, *args)
    assert result.exit_code == 2, result.output
    assert "--seed" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("kind", ["charlm", "tagger", "translator", "classifier"])
def test_train_help_shows_no_empty_range(runner, invoke, kind):
    result = invoke(runner, "train", kind, "--help")
    assert result.exit_code == 0
    assert "None" not in result.stdout
    assert "0<=x<=4294967295" in " ".join(result.stdout.split())


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "--device", "bogus"],
        ["tag", "--device", "gpu"],
        ["train", "charlm", "x.txt", "--name", "m", "--device", "cuda:x"],
        ["train", "charlm", "x.txt", "--name", "bad name!"],
        ["train", "tagger", "x.conll", "--name", "-starts-with-a-dash"],
    ],
)
def test_a_bad_device_or_name_is_a_usage_error(runner, invoke, args):
    result = invoke(runner, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_a_bad_device_from_the_environment_names_the_variable(
    runner, invoke, monkeypatch
):
    monkeypatch.setenv("SEQCLI_DEVICE", "bogus")
    result = invoke(runner, "generate", "-n", 1)
    assert result.exit_code == 2, result.output
    assert "SEQCLI_DEVICE='bogus' is no device" in result.stderr


def test_the_api_names_the_device_variable(monkeypatch):
    import seqcli

    monkeypatch.setenv("SEQCLI_DEVICE", "bogus")
    with pytest.raises(seqcli.SeqcliError, match="'bogus' .from SEQCLI_DEVICE."):
        seqcli.load("sentiment-en")


def test_a_missing_gpu_names_the_device_asked_for(monkeypatch):
    import torch

    from seqcli.device import pick_device
    from seqcli.errors import SeqcliError

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(SeqcliError, match="device cuda:1 was asked for, but no CUDA"):
        pick_device("cuda:1")


def test_eval_help_describes_every_kind(runner, invoke):
    text = " ".join(invoke(runner, "eval", "--help").stdout.split())
    for kind in ("charlm:", "tagger:", "translator:", "classifier:"):
        assert kind in text
    assert "macro-F1" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["a.tsv", "b.tsv"], "2 files given: a translator is scored on one FILE"),
        (["--src", "a.txt", "--tgt", "b.txt", "--pairs", "c.tsv"], "one way"),
        (["a.tsv", "--pairs", "c.tsv"], "one way"),
        ([], "give the test data: one FILE of source<TAB>target pairs"),
    ],
)
def test_eval_of_a_translator_says_how_to_give_the_data(runner, invoke, args, message):
    result = invoke(runner, "eval", "-m", "multi30k-en-de", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["train", "charlm", "x.txt", "--name", "m", "--force", "--resume"],
            "--resume continues the model's run, --force replaces it",
        ),
        (["classify", "--top-k", "2"], "--top-k gives scores: it needs --format jsonl"),
        (["eval", "-m", "multi30k-en-de", "--src", "a", "--tgt", "b", "--pairs", "c"],
         "one way"),
    ],
)  # fmt: skip
def test_options_that_do_not_go_together_are_refused(runner, invoke, args, message):
    result = invoke(runner, *args, input="A line.\n")
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_a_prime_over_piped_text_says_which_wins(runner, invoke):
    result = invoke(
        runner, "generate", "-n", 3, "--seed", 1, "--prime", "ROMEO:", input="JULIET:"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ROMEO:")
    assert "--prime is used; the text piped on stdin is not read" in result.stderr
    quiet = invoke(runner, "generate", "-n", 3, "--seed", 1, "--prime", "ROMEO:")
    assert "--prime is used" not in quiet.stderr
