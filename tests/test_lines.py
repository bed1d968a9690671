"""Lines are "\\n"-separated for every command: characters that str.splitlines would
also split at (\\u2028, \\x0c, \\x85...) stay inside their line, so the output lines
up with the input. Runs the built-in models."""

import json

import pytest

from seqcli.data import iter_lines, read_lines, split_lines
from seqcli.output import jsonl

pytestmark = pytest.mark.usefixtures("one_thread")

# five lines, three of them holding a character str.splitlines splits at
FIVE = "A dog runs.\nA man\u2028sings.\nA cat\x0csleeps.\nA boy\x85plays.\nThe end.\n"


def test_split_lines_splits_at_newlines_only():
    assert split_lines(FIVE) == FIVE.removesuffix("\n").split("\n")
    assert split_lines("a\r\n\r\nb\rc") == ["a", "", "b\rc"]
    assert split_lines("a\n\n") == ["a", ""]
    assert split_lines("") == []
    assert split_lines("\n") == [""]


def test_read_lines_and_iter_lines_agree(tmp_path):
    path = tmp_path / "five.txt"
    path.write_bytes(("\ufeff" + FIVE).replace("\n", "\r\n").encode())
    assert read_lines(str(path)) == list(iter_lines(str(path)))
    assert len(read_lines(str(path))) == 5


@pytest.mark.parametrize(
    "args",
    [
        ["translate"],
        ["translate", "--json"],
        ["tag"],
        ["tag", "--format", "jsonl"],
        ["classify"],
        ["classify", "--format", "jsonl"],
    ],
)
def test_one_output_line_per_input_line(runner, invoke, args):
    result = invoke(runner, *args, input=FIVE.encode())
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("\n")
    assert len(result.stdout.splitlines()) == 5, result.stdout
    if "--json" in args or "jsonl" in args:
        texts = [json.loads(line) for line in result.stdout.splitlines()]
        key = "source" if args[0] == "translate" else "text"
        assert [t[key] for t in texts] == split_lines(FIVE)


def test_json_lines_escape_the_characters_readers_split_lines_at():
    line = jsonl({"text": "a\u2028b\x85c\u2029d\x0ce"})
    assert len(line.splitlines()) == 1
    assert json.loads(line) == {"text": "a\u2028b\x85c\u2029d\x0ce"}


def test_a_conll_token_may_hold_a_line_separator(runner, invoke):
    conll = "Paris\u2028x\tO\nis\tO\n\nok\tO\n"
    result = invoke(runner, "tag", "--input", "conll", "--format", "conll", input=conll)
    assert result.exit_code == 0, result.output
    assert result.stdout.split("\n")[0].startswith("Paris\u2028x\tO\t")
    assert len(result.stdout.split("\n")) == len(conll.split("\n"))
