"""`seqcli eval`: score a stored model on held-out data."""

from __future__ import annotations

import json

import click

from seqcli.cli._options import (
    device_option,
    encoding_option,
    model_option,
    quiet_option,
)


@click.command("eval")
@model_option(required=True, help="The model to score.")
@click.argument("files", nargs=-1, metavar="FILE...")
@click.option("--src", metavar="FILE", help="translator: source sentences.")
@click.option("--tgt", metavar="FILE", help="translator: reference translations.")
@click.option("--pairs", metavar="FILE", help="translator: source<TAB>target lines.")
@click.option(
    "--label-column",
    type=int,
    default=-1,
    show_default=True,
    help="tagger: the CoNLL column holding the gold labels.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the metrics as one JSON object."
)
@encoding_option
@device_option
@quiet_option
def evaluate(model, files, as_json, device, **inputs):
    """Score a model on held-out data; the metrics depend on its kind.

    \b
    charlm:      loss (nats/char), bpc, perplexity on text FILE...
    tagger:      entity precision, recall, F1 (conlleval) on CoNLL FILE...
    translator:  sacreBLEU and chrF on --src/--tgt or --pairs
    \b
    seqcli eval -m poems --json held_out.txt
    """
    import importlib

    from seqcli import kinds
    from seqcli.device import pick_device
    from seqcli.store import Store

    store = Store()
    kind = store.manifest(model).get("kind")
    net, manifest = kinds.load(store, model, kind, pick_device(device))
    module = importlib.import_module(kinds.KINDS[kind])
    metrics = module.evaluate_command(net, manifest, files=list(files), **inputs)
    if as_json:
        click.echo(json.dumps(metrics))
    else:
        from seqcli.output import metrics_table

        metrics_table(model, metrics)
