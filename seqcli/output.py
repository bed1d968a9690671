"""Formatting results for stdout: records as text or JSON lines for programs and
pipelines, rich tables for people (a tagger's formats: seqcli.tagger.formats)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

# characters json.dumps leaves raw that str.splitlines (and many readers) split a
# line at; inside JSON strings their escapes mean the same
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def jsonl(record: dict) -> str:
    """One JSON line: no character in it ends a line for any reader."""
    text = json.dumps(record, ensure_ascii=False)
    for char, escape in _LINE_BREAKS.items():
        text = text.replace(char, escape)
    return text


def label(record: dict) -> str:
    """A classifier's record as its label alone ("" for an empty text)."""
    return record["label"] or ""


# --- translations ---


def translations(
    found: Sequence[Sequence[tuple[str, float]]], *, first: int = 1, n_best: int = 1
) -> Iterator[str]:
    """Output lines for translated input lines: the best translation of each; with
    n_best > 1 "LINE<TAB>SCORE<TAB>TEXT" per hypothesis (LINE counts from `first`).
    (`--json` writes seqcli.translator.decode.records instead.)"""
    for n, hyps in enumerate(found, first):
        if n_best == 1:
            yield hyps[0][0]
        else:
            yield from (f"{n}\t{s:.4f}\t{t}" for t, s in hyps)


# --- tables on a terminal ---


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


def _metrics(metrics: dict) -> str:
    return "  ".join(
        f"{k} {v:.4g}" for k, v in metrics.items() if isinstance(v, (int, float))
    )


def models_table(rows: list[dict], root: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"models in {root}", title_justify="left")
    for column in ("name", "kind", "size", "dev metrics", "created"):
        table.add_column(column)
    for row in rows:
        name = row["name"] + (" (built-in)" if row["builtin"] else "")
        status = "" if row["status"] == "ok" else f" [{row['status']}]"
        table.add_row(
            name,
            row["kind"] + status,
            _size(row["bytes"]),
            "none: trained on dev" if row.get("with_dev") else _metrics(row["metrics"]),
            row["created"][:16].replace("T", " "),
        )
    Console(highlight=False).print(table)


def _cell(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def metrics_table(name: str, metrics: dict) -> None:
    """Scalar metrics as rows; a nested {row: {column: value}} metric (e.g. a
    tagger's per_type scores) as a table of its own below. On stderr: tables are for
    people, `--json` gives the same metrics on stdout for programs."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=name, title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    nested = {}
    for key, value in metrics.items():
        if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
            nested[key] = value
            continue
        table.add_row(key, _cell(value))
    console = Console(highlight=False, stderr=True)
    console.print(table)
    for key, rows in nested.items():
        columns = list(dict.fromkeys(c for row in rows.values() for c in row))
        sub = Table(title=f"{name}: {key}", title_justify="left")
        sub.add_column("")
        for column in columns:
            sub.add_column(column, justify="right")
        for label, row in rows.items():
            sub.add_row(label, *(_cell(row.get(c, "")) for c in columns))
        console.print(sub)
