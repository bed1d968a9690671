"""`seqcli export`: a model's network as ONNX graphs, for deployment."""

from __future__ import annotations

from pathlib import Path

import click

from seqcli.cli.options import quiet_option
from seqcli.errors import SeqcliError


@click.command()
@click.argument("name")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["onnx"]),
    default="onnx",
    show_default=True,
    help="What to write.",
)
@click.option(
    "-o",
    "--output",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write the graphs and seqcli-onnx.json into.",
)
@click.option(
    "--int8",
    is_flag=True,
    help="LSTMs with int8 weights: faster on the CPU, tags and scores a little "
    "different; the graphs then run on onnxruntime only (DynamicQuantizeLSTM).",
)
@quiet_option
def export(name, fmt, folder, int8):
    """Export a model's network as ONNX graphs, with a JSON file of everything
    needed to run them (vocabularies, tokenizer, tags, special ids).

    \b
    seqcli export conll-en -o conll-onnx/
    """
    import torch

    from seqcli import console, kinds, onnx
    from seqcli.store import Store

    model, manifest = kinds.load(Store(), name, None, torch.device("cpu"))
    try:
        written = onnx.export(name, model, manifest, folder, int8=int8)
    except OSError as e:
        raise SeqcliError(f"cannot write into {folder}: {e.strerror or e}") from None
    for path in written:
        console.info(f"wrote {path}")
