"""`seqcli train KIND ...`: build a model from a user's corpus.

One command per kind in the registry (seqcli.kinds), made from what the kind's
config.py declares: its help (TRAIN_HELP), its data arguments and options
(TRAIN_DATA, seqcli.config.Data), its model settings and the training loop's
settings with its defaults (TRAINING), whose defaults and help live there.
"""

from __future__ import annotations

import click

from seqcli import kinds
from seqcli.cli.options import (
    FloatRange,
    config_options,
    device_option,
    encoding_option,
    pop_config,
    quiet_option,
)
from seqcli.config import Data, TrainConfig
from seqcli.errors import OptionError, SeqcliError


@click.group()
def train() -> None:
    """Train a model and keep its best dev checkpoint in the store."""


def training_options(config: type, training: TrainConfig):
    """The model settings of `config`, the training loop's settings with the kind's
    defaults, and the options every `train KIND` command shares."""

    def decorate(f):
        for option in reversed(
            [
                config_options(config),
                config_options(TrainConfig, training),
                click.option(
                    "--resume",
                    is_flag=True,
                    help="Continue the interrupted or finished run.",
                ),
                click.option(
                    "--force",
                    is_flag=True,
                    help="Replace an existing model of this name.",
                ),
                click.option(
                    "--with-dev",
                    metavar="NAME",
                    help="Train on the training and dev data together, for the "
                    "epochs that NAME (this recipe's run with dev) took to its best "
                    "checkpoint, and keep the last weights: for release, once dev "
                    "has chosen the settings. The model has no dev score of its own.",
                ),
                encoding_option,
                device_option,
                quiet_option,
            ]
        ):
            f = option(f)
        return f

    return decorate


def run(kind: str, *, name: str, resume: bool, force: bool, **options):
    """Check that `name` may be (re)written, then call the kind's recipe with the
    options left once the settings are taken out; Ctrl-C exits 130 once the state
    is saved. The model's lock is taken before the checks, so that of two runs of
    one name started together one trains and the other is refused."""
    import contextlib

    from seqcli import console, distributed, kinds
    from seqcli.device import pick_device
    from seqcli.store import Store, check_name
    from seqcli.train import Interrupted

    if resume and force:
        raise OptionError(
            "--resume continues the model's run, --force replaces it: give one"
        )
    store = Store()
    check_name(name)
    if store.is_builtin(name):
        raise SeqcliError(
            f"{name!r} is the name of a built-in model; choose another --name"
        )
    parts = kinds.get(kind)
    model_settings = pop_config(parts.config_class(), options)
    settings = pop_config(TrainConfig, options)
    device = pick_device(options.pop("device"))
    # under torchrun rank 0 holds the lock and writes for all
    guard = store.lock(name) if distributed.is_main() else contextlib.nullcontext()
    with guard:
        if resume and not store.has_state(name):
            raise SeqcliError(f"model {name!r} has no training state to resume from")
        if store.has(name) and not (resume or force):
            raise SeqcliError(
                f"model {name!r} already exists: continue it with --resume, "
                "replace it with --force, or choose another --name"
            )
        try:
            pos = parts.module("recipe").train(
                name=name,
                store=store,
                device=device,
                settings=settings,
                config=model_settings,
                resume=resume,
                **options,
            )
        except Interrupted:
            pos = None
    # under torchrun every rank stopped at the same step; rank 0 reports for all
    if pos is None:
        click.echo(
            f"interrupted: state saved; continue with --resume --name {name}",
            err=True,
        )
        distributed.finish(130)
        raise SystemExit(130)
    best = f"; best dev {pos.best:.4g}" if pos.best is not None else ""
    console.info(
        f"{name}: stopped ({pos.stopped}) after {pos.global_step} steps, "
        f"{pos.elapsed:.0f}s{best}"
    )
    distributed.finish(0)


def _check_name(ctx, param, value):
    from seqcli.store import check_name

    try:
        return check_name(value)
    except SeqcliError as e:
        raise click.BadParameter(str(e)) from None


name_option = click.option(
    "--name",
    required=True,
    callback=_check_name,
    help="Name of the model in the store.",
)

TYPES = {
    "text": None,
    "file": click.Path(exists=True, dir_okay=False),
    "int": int,
    "count": click.IntRange(min=0),
    "positive": click.IntRange(min=1),
    "fraction": FloatRange(0, 0.5, min_open=True),
    "flag": None,  # an option without a value
}


def data_parameter(data: Data):
    """The click argument or option a kind's Data declares."""
    if not data.name.startswith("--"):
        nargs = -1 if data.many else 1
        return click.argument(
            data.name, nargs=nargs, required=True, metavar=data.metavar
        )
    names = [data.name] + ([data.dest] if data.dest else [])
    if data.type == "flag":
        return click.option(*names, is_flag=True, help=data.help)
    details = {"type": TYPES[data.type], "metavar": data.metavar, "help": data.help}
    if data.many:
        details["multiple"] = True
    if data.default is not None:
        details |= {"default": data.default, "show_default": True}
    return click.option(*names, **details)


def train_command(kind: kinds.Kind) -> click.Command:
    """`seqcli train KIND`, from what the kind's config declares."""
    config = kind.module("config")
    check = getattr(config, "check_data", None)  # data given in ways that exclude

    def command(**options):
        if check is not None:
            try:
                check(**options)
            except OptionError as e:
                raise click.UsageError(str(e)) from None
        run(kind.name, **options)

    command.__doc__ = config.TRAIN_HELP
    command.__name__ = f"train_{kind.name}"
    f = training_options(kind.config_class(), config.TRAINING)(command)
    f = name_option(f)
    for data in reversed(config.TRAIN_DATA):
        f = data_parameter(data)(f)
    return train.command(kind.name)(f)


for _kind in kinds.KINDS.values():
    train_command(_kind)
