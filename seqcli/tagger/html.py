"""A tagger's records as one standalone HTML page (`seqcli tag --format html`): each
line's text with its entities marked, a colour per label and a legend, as displaCy
draws them. `seqcli serve`'s web page draws entities with the same style and colours.
"""

from __future__ import annotations

import html

# displaCy's colours for spaCy's labels, with the CoNLL and WNUT-17 names mapped onto
# the nearest of them; other labels take FALLBACK colours by a hash of their name
COLOURS = {
    "PER": "#aa9cfc",
    "PERSON": "#aa9cfc",
    "ORG": "#7aecec",
    "CORPORATION": "#7aecec",
    "LOC": "#ff9561",
    "LOCATION": "#ff9561",
    "GPE": "#feca74",
    "NORP": "#c887fb",
    "GROUP": "#c887fb",
    "FAC": "#9cc9cc",
    "PRODUCT": "#bfeeb7",
    "EVENT": "#ffeb80",
    "WORK_OF_ART": "#f0d0ff",
    "CREATIVE-WORK": "#f0d0ff",
    "LAW": "#ff8197",
    "LANGUAGE": "#ff8197",
    "DATE": "#bfe1d9",
    "TIME": "#bfe1d9",
    "MISC": "#e4e7d2",
}
FALLBACK = ["#ddd", "#f9d5e5", "#c3e6cb", "#ffe0b3", "#d6e0f5", "#e2d4f0"]

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
  margin: 2em; line-height: 2.5; color: #222; display: flex;
  flex-direction: column; }
.entities p { margin: 0 0 0.6em; }
mark.entity { padding: 0.25em 0.4em; margin: 0 0.15em; border-radius: 0.35em;
  line-height: 1; color: #111; }
mark.entity .label { font-size: 0.7em; font-weight: bold; text-transform: uppercase;
  vertical-align: middle; margin-left: 0.5em; }
.legend { line-height: 1.4; margin-bottom: 1.5em; }
.legend mark.entity { display: inline-block; margin-bottom: 0.3em; }
"""


def colour(label: str) -> str:
    """A label's background colour (the web page's script computes the same)."""
    key = label.upper()
    if key in COLOURS:
        return COLOURS[key]
    return FALLBACK[sum(map(ord, key)) % len(FALLBACK)]


def _mark(text: str, label: str) -> str:
    return (
        f'<mark class="entity" style="background: {colour(label)}">'
        f'{html.escape(text)}<span class="label">{html.escape(label)}</span></mark>'
    )


def line(record: dict) -> str:
    """One record as a paragraph: its text, each entity in a <mark> at its
    character offsets, the label after the entity's text."""
    text, parts, at = record["text"], [], 0
    for entity in record["entities"]:
        parts.append(html.escape(text[at : entity["start"]]))
        parts.append(_mark(text[entity["start"] : entity["end"]], entity["label"]))
        at = entity["end"]
    parts.append(html.escape(text[at:]))
    return "<p>" + "".join(parts) + "</p>"


def head(title: str = "seqcli tag") -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n"
        '<div class="entities">'
    )


def foot(labels: list[str]) -> str:
    """The end of the page, with the legend of the labels seen (placed above the
    text by the page's layout: the lines are written as they are tagged)."""
    legend = " ".join(
        f'<mark class="entity" style="background: {colour(label)}">'
        f"{html.escape(label)}</mark>"
        for label in sorted(set(labels))
    )
    return (
        '</div>\n<div class="legend" style="order: -1">'
        f"{legend}</div>\n</body>\n</html>"
    )
