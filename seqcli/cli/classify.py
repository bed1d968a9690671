"""`seqcli classify`: a label for each line of text."""

from __future__ import annotations

import itertools
import sys

import click

from seqcli.classifier.config import BATCH_SIZE
from seqcli.cli.options import (
    device_option,
    encoding_option,
    model_option,
    quiet_option,
)


@click.command()
@model_option(default="sentiment-en", help="A classifier model.")
@click.argument("file", default="-", metavar="[FILE|-]")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["plain", "jsonl"]),
    default="plain",
    show_default=True,
    help='plain: the label; jsonl: {"text", "label", "score", "labels"} per line.',
)
@click.option(
    "--top-k",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Labels (with scores) per line in --format jsonl, likeliest first.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=BATCH_SIZE,
    show_default=True,
    help="Texts per forward pass.",
)
@encoding_option
@device_option
@quiet_option
def classify(model, file, fmt, top_k, batch_size, encoding_errors, device):
    """Label each line of text (sentiment with the built-in model).

    One output line per input line, in order; an empty line gives an empty one.

    \b
    echo "What a wonderful, moving film." | seqcli classify
    seqcli classify -m topics --format jsonl --top-k 2 < posts.txt
    """
    if top_k != 1 and fmt != "jsonl":
        raise click.UsageError("--top-k gives scores: it needs --format jsonl")
    from seqcli import inference, output
    from seqcli.classifier.decode import classify_lines
    from seqcli.data import count_lines, first_lines, iter_lines
    from seqcli.store import Store

    lines = iter_lines(file, encoding_errors, pauses=True)
    head = first_lines(lines, inference.peek("classifier"))
    rows = count_lines(head)
    net, manifest = inference.load(Store(), model, "classifier", device, rows)
    write = output.jsonl if fmt == "jsonl" else output.label
    found = classify_lines(
        net,
        manifest,
        itertools.chain(head, lines),
        top_k=top_k,
        batch_size=batch_size,
    )
    for records in found:
        sys.stdout.write("".join(write(record) + "\n" for record in records))
        sys.stdout.flush()
