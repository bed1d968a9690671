"""Options shared by several commands."""

from __future__ import annotations

import functools

import click

from seqcli import console


def _set_quiet(ctx, param, value):
    if value:
        console.quiet = True
    return value


device_option = click.option(
    "--device",
    envvar="SEQCLI_DEVICE",
    default="auto",
    show_default=True,
    help="auto (CUDA, then Apple MPS, then CPU), cpu, cuda, cuda:N or mps. "
    "Env: SEQCLI_DEVICE.",
)
quiet_option = click.option(
    "-q",
    "--quiet",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_quiet,
    help="No progress or messages on stderr (warnings and errors still show).",
)
model_option = functools.partial(
    click.option, "-m", "--model", "model", metavar="NAME", show_default=True
)
encoding_option = click.option(
    "--encoding-errors",
    type=click.Choice(["strict", "replace"]),
    default="strict",
    show_default=True,
    help="Bytes that are not UTF-8: stop with an error, or replace them.",
)


TRAIN_FLAGS = [
    click.option("--epochs", type=click.IntRange(min=1), help="Passes over the data."),
    click.option(
        "--time-budget",
        type=click.FloatRange(min=0, min_open=True),
        metavar="SECONDS",
        help="Stop after this much training (over all resumed runs); keeps the best.",
    ),
    click.option(
        "--lr", type=click.FloatRange(min=0, min_open=True), help="Peak learning rate."
    ),
    click.option(
        "--schedule",
        type=click.Choice(["cosine", "constant"]),
        help="After warm-up: cosine decay to the end (epochs or budget), or constant.",
    ),
    click.option(
        "--min-lr",
        type=click.FloatRange(0, 1),
        help="Final learning rate of the cosine schedule, as a fraction of --lr.",
    ),
    click.option("--warmup", type=click.IntRange(min=0), help="Warm-up steps."),
    click.option("--optimizer", type=click.Choice(["adamw", "adam"])),
    click.option("--weight-decay", type=click.FloatRange(min=0)),
    click.option(
        "--clip", type=click.FloatRange(min=0), help="Max gradient norm (0: off)."
    ),
    click.option(
        "--eval-every",
        type=click.IntRange(min=0),
        metavar="STEPS",
        help="Dev evaluation every N steps (0: once per epoch).",
    ),
    click.option(
        "--patience",
        type=click.IntRange(min=1),
        help="Stop after this many evaluations without improvement.",
    ),
    click.option(
        "--ema",
        type=click.FloatRange(0, 1, max_open=True),
        metavar="DECAY",
        help="Evaluate and keep a moving average of the weights (0: off).",
    ),
    click.option("--seed", type=int, help="Random seed."),
]


def train_options(f):
    """The shared training-loop flags (TrainConfig); unset ones arrive as None."""
    for flag in reversed(TRAIN_FLAGS):
        f = flag(f)
    return f


def train_config(defaults: dict, flags: dict):
    """A TrainConfig from a kind's defaults overridden by the flags the user set."""
    from seqcli.train import TrainConfig

    return TrainConfig(
        **{**defaults, **{k: v for k, v in flags.items() if v is not None}}
    )
