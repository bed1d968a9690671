"""`seqcli train KIND ...`: build a model from a user's corpus."""

from __future__ import annotations

import click

from seqcli.cli._options import (
    device_option,
    encoding_option,
    quiet_option,
    train_config,
    train_options,
)
from seqcli.config import TRAIN_DEFAULTS, CharLMConfig
from seqcli.errors import SeqcliError


@click.group()
def train() -> None:
    """Train a model and keep its best dev checkpoint in the store."""


def start(name: str, resume: bool, force: bool):
    """The store, after checking that `name` may be (re)written this way."""
    from seqcli.store import Store, check_name

    store = Store()
    check_name(name)
    if store.is_builtin(name):
        raise SeqcliError(
            f"{name!r} is the name of a built-in model; choose another --name"
        )
    exists = name in store.names()
    if resume and not store.has_state(name):
        raise SeqcliError(f"model {name!r} has no training state to resume from")
    if exists and not (resume or force):
        raise SeqcliError(
            f"model {name!r} already exists: continue it with --resume, "
            "replace it with --force, or choose another --name"
        )
    return store


def training_options(f):
    """The options every `train KIND` command shares, after its own."""
    for option in reversed(
        [
            train_options,
            click.option(
                "--resume",
                is_flag=True,
                help="Continue the interrupted or finished run.",
            ),
            click.option(
                "--force", is_flag=True, help="Replace an existing model of this name."
            ),
            encoding_option,
            device_option,
            quiet_option,
        ]
    ):
        f = option(f)
    return f


def run(name: str, train_fn, **kwargs) -> None:
    """Call a kind's train function; Ctrl-C exits 130 once the state is saved."""
    from seqcli import console
    from seqcli.train import Interrupted

    try:
        pos = train_fn(name=name, **kwargs)
    except Interrupted:
        click.echo(
            f"interrupted: state saved; continue with --resume --name {name}", err=True
        )
        raise SystemExit(130) from None
    best = f"; best dev {pos.best:.4g}" if pos.best is not None else ""
    console.info(
        f"{name}: stopped ({pos.stopped}) after {pos.global_step} steps, "
        f"{pos.elapsed:.0f}s{best}"
    )


def model_option(config: type, name: str, help: str, **range_args):
    """A model setting (--NAME, or --NAME/--no-NAME for a switch) whose default comes
    from a kind's config dataclass."""
    from dataclasses import fields

    field = {f.name: f for f in fields(config)}[name.replace("-", "_")]
    if field.type in (bool, "bool"):
        return click.option(
            f"--{name}/--no-{name}", default=field.default, show_default=True, help=help
        )
    number = click.IntRange if field.type in (int, "int") else click.FloatRange
    return click.option(
        f"--{name}",
        type=number(**range_args),
        default=field.default,
        show_default=True,
        help=help,
    )


@train.command("charlm")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--name", required=True, help="Name of the model in the store.")
@click.option(
    "--dev", "dev_path", metavar="FILE", help="Dev text (default: the end of FILE...)."
)
@click.option(
    "--dev-fraction",
    type=click.FloatRange(0, 0.5, min_open=True),
    default=0.05,
    show_default=True,
    help="Part of the corpus held back for dev when --dev is not given.",
)
@model_option(CharLMConfig, "embedding", "Size of each character's embedding.", min=1)
@model_option(CharLMConfig, "hidden", "LSTM units per layer.", min=1)
@model_option(CharLMConfig, "layers", "Stacked LSTM layers.", min=1)
@model_option(
    CharLMConfig, "dropout", "Dropout between layers.", min=0, max=1, max_open=True
)
@model_option(CharLMConfig, "batch-size", "Parallel character streams.", min=1)
@model_option(
    CharLMConfig, "bptt", "Characters per window of truncated backprop.", min=1
)
@training_options
def train_charlm(
    files,
    name,
    dev_path,
    dev_fraction,
    embedding,
    hidden,
    layers,
    dropout,
    batch_size,
    bptt,
    resume,
    force,
    encoding_errors,
    device,
    **flags,
):
    """Train a character-level LSTM language model on text files.

    \b
    seqcli train charlm book.txt more.txt --name poems --time-budget 600
    """
    from seqcli import charlm
    from seqcli.device import pick_device

    store = start(name, resume, force)
    config = CharLMConfig(
        embedding=embedding,
        hidden=hidden,
        layers=layers,
        dropout=dropout,
        batch_size=batch_size,
        bptt=bptt,
    )
    run(
        name,
        charlm.train,
        paths=list(files),
        store=store,
        device=pick_device(device),
        settings=train_config(TRAIN_DEFAULTS["charlm"], flags),
        config=config,
        dev_path=dev_path,
        dev_fraction=dev_fraction,
        resume=resume,
        encoding_errors=encoding_errors,
    )
