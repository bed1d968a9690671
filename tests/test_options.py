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
