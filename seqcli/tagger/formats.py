"""A tagger's records as `seqcli tag` writes them: inline brackets, CoNLL columns or
JSON lines."""

from __future__ import annotations

from seqcli.output import jsonl
from seqcli.tagger.schemes import to_spans


def inline(record: dict) -> str:
    """Tokens joined by spaces, entities bracketed: `[PER John Smith] flew .`"""
    words = list(record["tokens"])
    for start, end, label in to_spans(record["tags"]):
        words[start] = f"[{label} {words[start]}"
        words[end - 1] += "]"
    return " ".join(words)


def conll(record: dict) -> str:
    """token<TAB>tag lines, then a blank line (without the last newline)."""
    lines = [
        f"{t}\t{tag}" for t, tag in zip(record["tokens"], record["tags"], strict=True)
    ]
    return "\n".join([*lines, ""])


TAG_FORMATS = {"inline": inline, "jsonl": jsonl, "conll": conll}
