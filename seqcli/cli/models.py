"""`seqcli models`: list, show, plot and remove stored models."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group()
def models() -> None:
    """Manage the checkpoint store ($SEQCLI_HOME, else the user data directory)."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per model.")
def list_models(as_json):
    """List the stored models and the built-in ones."""
    from seqcli.store import Store

    store = Store()
    rows = [store.describe(name) for name in store.names()]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
        return
    from seqcli.output import models_table

    models_table(rows, store.root)


@models.command("show")
@click.argument("name")
@click.option("--full", is_flag=True, help="Include the vocabularies and the history.")
def show(name, full):
    """Print a model's manifest (JSON)."""
    from seqcli.store import Store

    manifest = Store().manifest(name)
    with_dev = manifest.training.get("with_dev")
    if with_dev:
        manifest["metrics"] = (
            f"none of its own: trained on its dev data too, for the "
            f"{with_dev['epochs']:g} epochs {with_dev['model']!r} took to its best "
            "checkpoint (--with-dev)"
        )
    if not full:
        manifest["vocabs"] = {
            k: f"{len(v['tokens'])} tokens" for k, v in manifest["vocabs"].items()
        }
        for lm in manifest.context.values():  # a tagger's char-LMs
            lm["chars"] = f"{len(lm['chars']['tokens'])} tokens"
        history = manifest.history
        manifest["history"] = (
            history[-3:] and [f"{len(history)} evaluations, last:"] + history[-1:]
        )
    click.echo(json.dumps(manifest, indent=2, ensure_ascii=False))


@models.command("plot")
@click.argument("name")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The picture to write: FILE.svg (no dependency) or FILE.png (matplotlib).",
)
def plot(name, output):
    """Draw a model's training curves: the dev metric that picks its checkpoint
    (and the training loss where its history has it) against steps and against
    training time, from the history in its manifest.

    \b
    seqcli models plot conll-en -o curves.svg
    seqcli models plot my-ner -o curves.png
    """
    from seqcli import plot
    from seqcli.store import Store

    plot.check_suffix(output)  # a wrong name fails before the store is read
    plot.write(Store().manifest(name), name, output)


@models.command("rm")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
def remove(names):
    """Delete models from the store (not one that a training is writing)."""
    import contextlib

    from seqcli import console
    from seqcli.errors import SeqcliError
    from seqcli.store import Store

    store = Store()
    # an unknown, built-in or locked name fails before anything is removed
    with contextlib.ExitStack() as held:
        for name in names:
            store.path(name)
            if store.is_builtin(name):
                raise SeqcliError(f"model {name!r} is built in and cannot be removed")
            held.enter_context(store.lock(name))
        for name in names:
            store.remove(name)
            console.info(f"removed {name}")
