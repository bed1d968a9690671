"""The built-in models' outputs, held to recorded ones.

Each case runs one command on the project's own corpora; its stdout was recorded in
tests/golden/ and must not change unless a change of behaviour is meant: texts, tags
and counts exactly, scores and metrics within the tolerance of tests/close.py (they
differ in the last bits from one instruction set to another). To record
again (after such a change, saying why in the commit):

    SEQCLI_RECORD_GOLDEN=1 python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seqcli.cli import cli

from .close import same_output

pytestmark = pytest.mark.numeric

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"
CORPORA = ROOT / "corpora"
RECORD = bool(os.environ.get("SEQCLI_RECORD_GOLDEN"))


def ner_sentences() -> list[list[str]]:
    """Token lists of corpora/ner.conll, in order."""
    sentences, tokens = [], []
    for line in (CORPORA / "ner.conll").read_text().splitlines():
        if line.strip():
            tokens.append(line.split("\t")[0])
        elif tokens:
            sentences.append(tokens)
            tokens = []
    return sentences + ([tokens] if tokens else [])


def ner_lines(start: int, n: int) -> str:
    return "".join(" ".join(s) + "\n" for s in ner_sentences()[start : start + n])


def ner_conll(n: int) -> str:
    blocks = ner_sentences()[:n]
    return "".join("".join(f"{t}\n" for t in s) + "\n" for s in blocks)


def phrases(start: int, n: int, column: int = 0) -> list[str]:
    lines = (CORPORA / "phrases.tsv").read_text().splitlines()[start : start + n]
    return [line.split("\t")[column] for line in lines]


def english(start: int, n: int) -> str:
    return "".join(f"{s}\n" for s in phrases(start, n))


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


# name → (arguments, stdin, files to write first as {placeholder: text})
CASES = {
    "generate-one-stream": (["generate", "--seed", "1", "-n", "300"], "ROMEO:", {}),
    "generate-samples-json": (
        ["generate", "--seed", "2", "-n", "200", "--samples", "3", "--json"]
        + ["--top-k", "10", "--prime", "KING"],
        None,
        {},
    ),
    "generate-top-p-cold": (
        ["generate", "--seed", "3", "-n", "200", "-t", "0.5", "--top-p", "0.9"],
        "",
        {},
    ),
    "generate-greedy": (["generate", "-n", "150", "-t", "0"], "To be", {}),
    "tag-300-inline": (["tag"], ner_lines(0, 300), {}),
    "tag-60-jsonl": (["tag", "--format", "jsonl"], ner_lines(300, 60), {}),
    "tag-conll-150": (
        ["tag", "--input", "conll", "--format", "conll", "{conll}"],
        None,
        {"conll": ner_conll(150)},
    ),
    "tag-conll-40-iob2-jsonl": (
        ["tag", "--input", "conll", "--format", "jsonl", "--scheme", "iob2"]
        + ["{conll}"],
        None,
        {"conll": ner_conll(40)},
    ),
    "translate-300-beam": (["translate"], english(0, 300), {}),
    "translate-100-greedy": (["translate", "--beam", "1"], english(300, 100), {}),
    "translate-30-nbest-json": (
        ["translate", "--n-best", "3", "--json"],
        english(400, 30),
        {},
    ),
    "translate-20-nbest-lines-keep-unk": (
        ["translate", "--n-best", "2", "--keep-unk", "--length-penalty", "1"],
        "Zyxwv met Qrst in Blorbville .\n" + english(430, 19),
        {},
    ),
    "eval-charlm": (
        ["eval", "-m", "shakespeare", "--json", "{text}"],
        None,
        {"text": (CORPORA / "story.txt").read_text()[:20_000]},
    ),
    "eval-tagger": (
        ["eval", "-m", "conll-en", "--json", "{conll}"],
        None,
        {"conll": "\n\n".join((CORPORA / "ner.conll").read_text().split("\n\n")[:250])},
    ),
    "eval-translator": (
        ["eval", "-m", "multi30k-en-de", "--json", "--pairs", "{pairs}"],
        None,
        {
            "pairs": "".join(
                f"{s}\t{t}\n"
                for s, t in zip(phrases(500, 150), phrases(500, 150, 1), strict=True)
            )
        },
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_builtin_output_is_unchanged(case, runner, tmp_path, one_thread):
    args, stdin, files = CASES[case]
    paths = {k: write(tmp_path / k, text) for k, text in files.items()}
    args = [a.format(**paths) if a.startswith("{") else a for a in args]
    result = runner.invoke(cli, args, input=stdin)
    assert result.exit_code == 0, result.output
    expected = GOLDEN / f"{case}.out"
    if RECORD:
        GOLDEN.mkdir(exist_ok=True)
        expected.write_text(result.stdout)
    same_output(result.stdout, expected.read_text())
