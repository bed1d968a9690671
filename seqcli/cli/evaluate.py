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
@click.option(
    "--json", "as_json", is_flag=True, help="Print the metrics as one JSON object."
)
@encoding_option
@device_option
@quiet_option
def evaluate(model, files, as_json, encoding_errors, device):
    """Score a model on held-out data; the metrics depend on its kind.

    \b
    charlm:  loss (nats/char), bpc, perplexity on text files
    \b
    seqcli eval -m poems --json held_out.txt
    """
    from seqcli import charlm, kinds
    from seqcli.device import pick_device
    from seqcli.errors import SeqcliError
    from seqcli.store import Store
    from seqcli.vocab import Vocab

    store = Store()
    kind = store.manifest(model).get("kind")
    net, manifest = kinds.load(store, model, kind, pick_device(device))
    if kind == "charlm":
        if not files:
            raise click.UsageError("give the text file(s) to score")
        vocab = Vocab.from_dict(manifest["vocabs"]["chars"])
        metrics = charlm.evaluate_files(net, vocab, list(files), encoding_errors)
    else:
        raise SeqcliError(f"cannot evaluate a {kind} model")
    if as_json:
        click.echo(json.dumps(metrics))
    else:
        from seqcli.output import metrics_table

        metrics_table(model, metrics)
