"""A stored model's training curves as a picture (`seqcli models plot`): the dev
metric that picks the checkpoint, and the training loss where the history has it,
against steps and against training time, from the manifest's "history" (one entry
per dev evaluation: {"epoch", "step", "seconds", <metrics>}).

SVG is written here directly (a few lines, nothing to install); PNG goes through
matplotlib's Agg backend, imported only for it (`pip install 'seqcli[plot]'`): a
raster needs a renderer, and matplotlib is the one the field uses (Joey NMT's
plot_validations.py, flair's Plotter).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

from seqcli.errors import OptionError, SeqcliError

FORMATS = (".svg", ".png")
# the dev metric that picks each kind's checkpoint (a classifier's is in its config)
METRIC = {"charlm": "loss", "tagger": "f1", "translator": "bleu"}
TRAIN_LOSS = "train_loss"  # a history entry's training loss, where it is recorded
NOT_METRICS = {"epoch", "step", "seconds", TRAIN_LOSS}
AXES = [("step", "steps"), ("seconds", "training time (s)")]
COLOURS = {TRAIN_LOSS: "#d62728", "dev": "#1f77b4"}


@dataclass
class Curve:
    key: str  # the history's key
    title: str  # "dev f1", "training loss"
    colour: str
    # per evaluation that has the value: {"step", "seconds", "value"}
    points: list[dict]


def dev_metric(manifest: dict) -> str:
    """The name of the metric that picks the model's checkpoint."""
    kind = manifest.get("kind")
    if kind == "classifier":
        return manifest.get("config", {}).get("metric", "accuracy")
    if kind in METRIC:
        return METRIC[kind]
    history = manifest.get("history") or [{}]
    return next((k for k in history[0] if k not in NOT_METRICS), "")


def curves(manifest: dict, name: str) -> list[Curve]:
    """The training loss (where recorded) and the dev metric, each as points."""
    history = [h for h in manifest.get("history") or [] if isinstance(h, dict)]
    metric = dev_metric(manifest)
    found = []
    for key, title, colour in [
        (TRAIN_LOSS, "training loss", COLOURS[TRAIN_LOSS]),
        (metric, f"dev {metric}", COLOURS["dev"]),
    ]:
        points = [
            {"step": h["step"], "seconds": h.get("seconds", 0.0), "value": h[key]}
            for h in history
            if _finite(h.get(key)) and _finite(h.get("step"))
        ]
        if points:
            found.append(Curve(key, title, colour, points))
    if not any(c.key == metric for c in found):
        raise SeqcliError(
            f"model {name!r} has no training history to plot (it keeps one "
            "entry per dev evaluation; a model trained without --dev has none)"
        )
    return found


def write(manifest: dict, name: str, path: Path) -> None:
    """The picture of `name`'s curves into `path` (.svg or .png)."""
    suffix = check_suffix(path)
    found = curves(manifest, name)
    title = f"{name} ({manifest.get('kind', '?')})"
    if TRAIN_LOSS not in {c.key for c in found}:
        title += ": no training loss in its history"
    try:
        if suffix == ".svg":
            path.write_text(svg(found, title), encoding="utf-8")
        else:
            png(found, title, path)
    except OSError as e:
        raise SeqcliError(f"cannot write {path}: {e.strerror or e}") from None


def check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise OptionError(
            f"cannot draw {path.name!r}: name a .svg or .png file (-o curves.svg)"
        )
    return suffix


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values from low to high, about `count` of them (1, 2 or 5 × 10^n
    apart), for an axis."""
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9)
    return [
        round(i * step, 10) for i in range(first, math.floor(high / step + 1e-9) + 1)
    ]


def _label(x: float) -> str:
    return f"{x:.6g}"


# --- SVG: a grid of panels, a row per curve, a column per x axis ---
WIDTH, ROW = 880, 280  # pixels: the picture's width, each row's height
MARGIN = {"left": 70, "right": 20, "top": 34, "bottom": 46}


def svg(found: list[Curve], title: str) -> str:
    height = 40 + ROW * len(found)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="12">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="24" text-anchor="middle" font-size="15">'
        f"{html.escape(title)}</text>",
    ]
    for row, curve in enumerate(found):
        for column, (axis, axis_title) in enumerate(AXES):
            box = (column * WIDTH / 2, 40 + row * ROW, WIDTH / 2, ROW)
            parts.append(_panel(curve, axis, axis_title, box))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _panel(curve: Curve, axis: str, axis_title: str, box: tuple) -> str:
    x0, y0, w, h = box
    left, right = x0 + MARGIN["left"], x0 + w - MARGIN["right"]
    top, bottom = y0 + MARGIN["top"], y0 + h - MARGIN["bottom"]
    xs = [p[axis] for p in curve.points]
    ys = [p["value"] for p in curve.points]
    x_ticks = ticks(min(0.0, min(xs)), max(xs))
    y_ticks = ticks(min(ys), max(ys))
    x_low, x_high = x_ticks[0], max(x_ticks[-1], max(xs))
    y_low, y_high = min(y_ticks[0], min(ys)), max(y_ticks[-1], max(ys))

    def px(x: float) -> float:
        return left + (x - x_low) / ((x_high - x_low) or 1) * (right - left)

    def py(y: float) -> float:
        return bottom - (y - y_low) / ((y_high - y_low) or 1) * (bottom - top)

    out = [
        f'<g class="panel" data-curve="{html.escape(curve.key)}" data-x="{axis}">',
        f'<text x="{(left + right) / 2}" y="{top - 10}" text-anchor="middle" '
        f'font-weight="bold">{html.escape(curve.title)}</text>',
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
        'fill="none" stroke="#999"/>',
    ]
    for t in x_ticks:
        x = px(t)
        out.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#eee"/>'
            f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">'
            f"{_label(t)}</text>"
        )
    for t in y_ticks:
        y = py(t)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_label(t)}</text>"
        )
    line = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys, strict=True))
    out.append(
        f'<polyline points="{line}" fill="none" stroke="{curve.colour}" '
        'stroke-width="2"/>'
    )
    out += [
        f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{curve.colour}"/>'
        for x, y in zip(xs, ys, strict=True)
    ]
    out.append(
        f'<text x="{(left + right) / 2}" y="{bottom + 36}" text-anchor="middle">'
        f"{axis_title}</text></g>"
    )
    return "\n".join(out)


# --- PNG: the same grid drawn by matplotlib ---
def png(found: list[Curve], title: str, path: Path) -> None:
    try:
        import matplotlib
    except ImportError:
        raise SeqcliError(
            "writing PNG needs matplotlib: pip install 'seqcli[plot]' "
            "(or write .svg, which needs nothing)"
        ) from None
    matplotlib.use("Agg")  # no display: draw into memory, then the file
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH / 100, (40 + ROW * len(found)) / 100), dpi=100)
    axes = fig.subplots(len(found), len(AXES), squeeze=False)
    for row, curve in enumerate(found):
        for column, (axis, axis_title) in enumerate(AXES):
            ax = axes[row][column]
            xs = [p[axis] for p in curve.points]
            ax.plot(xs, [p["value"] for p in curve.points], "o-", color=curve.colour)
            ax.set_title(curve.title, fontweight="bold", fontsize=10)
            ax.set_xlabel(axis_title)
            ax.set_xlim(left=min(0.0, min(xs)))  # from the start, as the SVG
            ax.grid(color="#eee")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, format="png")
