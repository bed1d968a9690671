"""`seqcli generate` with the built-in char-LM: beam search, stop texts and prime
files, from the command line and the Python API."""

import json

import pytest

import seqcli

pytestmark = pytest.mark.usefixtures("one_thread")


def generated(runner, invoke, *args, input=None) -> str:
    result = invoke(runner, "generate", "-q", *args, input=input)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_beam_1_writes_the_greedy_text(runner, invoke):
    greedy = generated(runner, invoke, "--prime", "ROMEO:", "-n", "120", "-t", "0")
    beam = generated(
        runner, invoke, "--prime", "ROMEO:", "-n", "120", "--beam", "1",
        "--no-repeat-ngram", "0",
    )  # fmt: skip
    assert beam == greedy


def test_a_guarded_beam_repeats_no_12_characters(runner, invoke):
    text = generated(runner, invoke, "--prime", "ROMEO:", "-n", "400", "--beam", "4")
    assert text.startswith("ROMEO:") and len(text) == len("ROMEO:") + 400 + 1
    grams = [text[i : i + 12] for i in range(len(text) - 12)]
    assert len(set(grams)) == len(grams)
    unguarded = generated(
        runner, invoke, "--prime", "ROMEO:", "-n", "400", "--beam", "4",
        "--no-repeat-ngram", "0",
    )  # fmt: skip
    grams = [unguarded[i : i + 12] for i in range(len(unguarded) - 12)]
    assert len(set(grams)) < len(grams)  # the built-in loops without the guard


def test_a_stop_text_ends_each_sample(runner, invoke):
    out = generated(
        runner, invoke, "--prime", "KING:", "-n", "2000", "--stop", "\n\n",
        "--samples", "3", "--seed", "4", "--json",
    )  # fmt: skip
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 3
    for record in records:
        assert record["text"].endswith("\n\n") and record["text"].count("\n\n") == 1
    one = generated(runner, invoke, "--prime", "KING:", "-n", "2000", "--stop", "\n\n")
    assert one.endswith("\n\n") and one.count("\n\n") == 1  # no line end added


def test_a_prime_file_keeps_its_lines(runner, invoke, tmp_path):
    prime = "KING HENRY:\nWhat say you, cousin?\n"
    (tmp_path / "p.txt").write_bytes(
        b"\xef\xbb\xbf" + prime.replace("\n", "\r\n").encode()
    )
    out = generated(
        runner, invoke, "--prime-file", tmp_path / "p.txt", "-n", "50", "--seed", "1"
    )
    assert out.startswith(prime) and len(out) == len(prime) + 50 + 1
    assert out == generated(runner, invoke, "--prime", prime, "-n", "50", "--seed", "1")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--beam", "2", "--top-k", "3"], "--top-k does not apply to --beam"),
        (["--beam", "2", "--top-p", "0.9"], "--top-p does not apply to --beam"),
        (["--beam", "2", "-t", "0.5"], "it goes with --beam-sample"),
        (["--beam", "2", "--samples", "2"], "leave out --samples"),
        (["--no-repeat-ngram", "4"], "--no-repeat-ngram goes with --beam"),
        (["--beam-sample"], "--beam-sample goes with --beam"),
        (["--stop", "abcdef", "-n", "3"], "could never end a sample"),
        (["--prime", "A", "--prime-file", "{file}"], "not both"),
        (["--beam", "0"], "--beam"),
    ],
)
def test_options_that_do_not_go_together_are_usage_errors(
    runner, invoke, tmp_path, args, message
):
    (tmp_path / "p.txt").write_text("A")
    args = [a.format(file=tmp_path / "p.txt") for a in args]
    result = invoke(runner, "generate", "-n", "5", *args)
    assert result.exit_code == 2 and message in result.stderr, result.output


@pytest.mark.parametrize(
    "content, message",
    [(b"", "the prime file is empty"), (b"caf\xe9\n", "not valid UTF-8 at byte 3")],
)
def test_a_bad_prime_file_is_one_line(runner, invoke, tmp_path, content, message):
    (tmp_path / "p.txt").write_bytes(content)
    result = invoke(runner, "generate", "--prime-file", tmp_path / "p.txt", "-n", "5")
    assert result.exit_code == 1 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_api_searches_and_stops_as_the_command(runner, invoke):
    lm = seqcli.load("shakespeare", device="cpu")
    (record,) = lm.generate("ROMEO:", length=150, beam=4)
    cli = generated(runner, invoke, "--prime", "ROMEO:", "-n", "150", "--beam", "4")
    assert "ROMEO:" + record["text"] + "\n" == cli
    (stopped,) = lm.generate("KING:", length=2000, stop="\n\n", seed=4)
    assert stopped["text"].endswith("\n\n") and stopped["text"].count("\n\n") == 1
    for bad, message in [
        ({"beam": 2, "top_k": 3}, "do not apply to beam"),
        ({"beam": 0}, "beam must be"),
        ({"no_repeat_ngram": 3}, "go with beam"),
        ({"stop": "x" * 20, "length": 5}, "stop is longer"),
    ]:
        with pytest.raises(seqcli.SeqcliError, match=message):
            lm.generate("A", **{"length": 10, **bad})
