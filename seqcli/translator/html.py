"""Translations with their attention as one standalone HTML page (`seqcli translate
--format html`): per sentence, the source, the n-best translations with their
scores, and a heatmap of the best one's attention (source tokens across, target
tokens down; the darker a cell, the more weight), as Joey NMT's plotting draws it.
`seqcli serve`'s web page draws the same table with the same style and colour.
"""

from __future__ import annotations

import html

RGB = "31, 119, 180"  # a cell's colour; its weight is the opacity

STYLE = """
.sentence { margin: 0 0 2em; line-height: 1.5; }
.sentence .source { font-weight: bold; }
.translation { line-height: 1.5; margin: 0.4em 0; }
.score { color: #777; font-size: 0.85em; margin-right: 0.8em;
  font-variant-numeric: tabular-nums; }
table.attention { border-collapse: collapse; margin: 0.6em 0; font-size: 0.85em;
  line-height: 1.2; }
table.attention th { font-weight: normal; padding: 0.2em 0.4em; }
table.attention thead th { writing-mode: vertical-rl; transform: rotate(180deg);
  text-align: left; vertical-align: bottom; }
table.attention tbody th { text-align: right; }
table.attention td { width: 1.6em; height: 1.6em; border: 1px solid #f4f4f4;
  padding: 0; }
"""


def cell_colour(weight: float) -> str:
    """A cell's background (the web page's script computes the same)."""
    return f"rgba({RGB}, {min(max(weight, 0.0), 1.0):.3f})"


def heatmap(attention: dict) -> str:
    """An attention record (seqcli.translator.decode.attention_map) as a table:
    a column per source token, a row per target token."""
    head = "".join(f"<th>{html.escape(t)}</th>" for t in attention["source_tokens"])
    rows = []
    for token, weights in zip(
        attention["target_tokens"], attention["weights"], strict=True
    ):
        cells = "".join(
            f'<td style="background: {cell_colour(w)}" title="{w:.4f}"></td>'
            for w in weights
        )
        rows.append(f"<tr><th>{html.escape(token)}</th>{cells}</tr>")
    return (
        f'<table class="attention"><thead><tr><th></th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def sentence(record: dict) -> str:
    """One record of `seqcli translate --json --attention` as a section."""
    parts = [f'<p class="source">{html.escape(record["source"])}</p>']
    for t in record["translations"]:
        parts.append(
            f'<p class="translation"><span class="score">{t["score"]:.4f}</span>'
            f"{html.escape(t['text'])}</p>"
        )
    if record.get("attention", {}).get("weights"):
        parts.append(heatmap(record["attention"]))
    return '<div class="sentence">' + "".join(parts) + "</div>"


def head(title: str = "seqcli translate") -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        '<style>\nbody { font-family: -apple-system, "Segoe UI", Helvetica, Arial, '
        "sans-serif; margin: 2em; color: #222; }\n"
        f"{STYLE}</style>\n</head>\n<body>"
    )


def foot() -> str:
    return "</body>\n</html>"
