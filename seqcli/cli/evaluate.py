"""`seqcli eval`: score a stored model on held-out data."""

from __future__ import annotations

import json

import click

from seqcli.cli.options import (
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
@click.pass_context
def evaluate(ctx, model, files, as_json, device, **inputs):
    """Score a model on held-out data; the metrics depend on its kind.

    Tables go to stderr; --json writes the metrics as one JSON object on stdout.

    \b
    charlm:      loss (nats/char), bpc, perplexity on text FILE...
    tagger:      entity precision, recall, F1 (conlleval) on CoNLL FILE...
    translator:  sacreBLEU and chrF on --src/--tgt or --pairs (or one FILE of pairs)
    classifier:  accuracy, macro-F1, per-class precision, recall, F1 and support,
                 confusion matrix on labelled FILE... (label<TAB>text)
    \b
    seqcli eval -m poems --json held_out.txt
    """
    import inspect

    from seqcli import kinds
    from seqcli.device import pick_device
    from seqcli.store import Store

    store = Store()
    kind = kinds.get(store.manifest(model).get("kind"))
    recipe = kind.module("recipe")
    # an option given that the kind's evaluate does not take is an error
    takes = inspect.signature(recipe.evaluate).parameters
    given = {
        name: value
        for name, value in inputs.items()
        if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
    }
    for name in given:
        if name not in takes:
            flag = "--" + name.replace("_", "-")
            raise click.UsageError(f"{flag} does not apply to a {kind.name} model")
    net, manifest = kinds.load(store, model, kind.name, pick_device(device))
    metrics = recipe.evaluate(net, manifest, files=list(files), **given)
    if as_json:
        click.echo(json.dumps(metrics))
    else:
        from seqcli.output import metrics_table

        metrics_table(model, metrics)
