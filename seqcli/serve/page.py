"""The web page at `/`: one file, its style and script inline (nothing fetched from
elsewhere), entities drawn as `seqcli tag --format html` draws them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from seqcli.tagger import html


@cache
def render() -> str:
    text = (Path(__file__).parent / "page.html").read_text(encoding="utf-8")
    colours = json.dumps({"named": html.COLOURS, "fallback": html.FALLBACK})
    return text.replace("/*ENTITY-STYLE*/", html.STYLE).replace(
        "/*COLOURS*/null", colours
    )
