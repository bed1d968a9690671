"""The web page at `/`: one file, its style and script inline (nothing fetched from
elsewhere), entities drawn as `seqcli tag --format html` draws them and attention
as `seqcli translate --format html` does."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from seqcli.tagger import html
from seqcli.translator import html as attention


@cache
def render() -> str:
    text = (Path(__file__).parent / "page.html").read_text(encoding="utf-8")
    colours = json.dumps({"named": html.COLOURS, "fallback": html.FALLBACK})
    parts = {
        "/*ENTITY-STYLE*/": html.STYLE,
        "/*ATTENTION-STYLE*/": attention.STYLE,
        "/*COLOURS*/null": colours,
        "/*ATTENTION-RGB*/null": json.dumps(attention.RGB),
    }
    for mark, part in parts.items():
        text = text.replace(mark, part)
    return text
