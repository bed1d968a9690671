"""`seqcli tag`: named entities in text or CoNLL files."""

from __future__ import annotations

import sys

import click

from seqcli.cli.options import (
    device_option,
    encoding_option,
    model_option,
    quiet_option,
)
from seqcli.tagger.config import BATCH_SIZE
from seqcli.tagger.schemes import SCHEMES


@click.command()
@model_option(default="conll-en", help="A tagger model.")
@click.argument("file", default="-", metavar="[FILE|-]")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["inline", "jsonl", "conll", "html"]),
    default="inline",
    show_default=True,
    help="inline: [PER John Smith] brackets; jsonl: one object per line with "
    "character offsets; conll: a prediction column (token<TAB>tag for text input); "
    "html: one page, entities marked in colour with a legend.",
)
@click.option(
    "--input",
    "input_format",
    type=click.Choice(["text", "conll"]),
    default="text",
    show_default=True,
    help="text: one record per line; conll: tokens in the first column.",
)
@click.option("--lang", help="spaCy tokenizer for text (default: the model's).")
@click.option(
    "--scheme",
    type=click.Choice(SCHEMES),
    help="Tag scheme of the output (default: that of the model's training data).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=BATCH_SIZE,
    show_default=True,
    help="Sentences per forward pass.",
)
@encoding_option
@device_option
@quiet_option
def tag(
    model, file, fmt, input_format, lang, scheme, batch_size, encoding_errors, device
):
    """Tag named entities in text (one record per line) or in a CoNLL file.

    Output is written as it is tagged: an empty line gives an empty record, so
    the output lines up with the input.

    \b
    echo "John Smith flew from Paris to Berlin." | seqcli tag -m ner
    seqcli tag -m ner --format jsonl news.txt
    seqcli tag -m ner --input conll --format conll test.conll > predicted.conll
    seqcli tag --format html news.txt > news.html
    """
    from seqcli import inference
    from seqcli.store import Store
    from seqcli.tagger import decode
    from seqcli.tagger.formats import TAG_FORMATS

    # a wrong name fails before input is read
    tagger = inference.Model(Store(), model, "tagger", device)
    out = sys.stdout
    write = TAG_FORMATS.get(fmt)
    seen: list[str] = []  # the labels, for the legend
    if fmt == "html":  # one page: its head now, the legend once all is tagged
        from seqcli.tagger import html

        out.write(html.head() + "\n")

        def write(record: dict) -> str:
            seen.extend(entity["label"] for entity in record["entities"])
            return html.line(record)

    if input_format == "conll":
        from seqcli.tagger.conll import format_conll
        from seqcli.tagger.data import read_conll

        doc = read_conll(file, label_column=None, errors=encoding_errors, empty_ok=True)
        found = decode.tag_document(
            tagger.network(len(doc.sentences)),
            tagger.manifest,
            doc,
            scheme=scheme,
            batch_size=batch_size,
        )
        for part, tags in found:
            if fmt == "conll":  # every input line, with a prediction column
                out.write("".join(line + "\n" for line in format_conll(part, tags)))
            else:
                for sentence, labels in zip(part.sentences, tags, strict=True):
                    record = decode.sentence_record(sentence.tokens, labels)
                    out.write(write(record) + "\n")
            out.flush()
    else:
        _tag_text(tagger, file, write, lang, scheme, batch_size, encoding_errors)
    if fmt == "html":
        out.write(html.foot(seen) + "\n")


def _tag_text(tagger, file, write, lang, scheme, batch_size, encoding_errors):
    """Lines of text, tagged and written as they come."""
    import itertools

    from seqcli import inference
    from seqcli.data import count_lines, first_lines, iter_lines
    from seqcli.tagger import decode

    lines = iter_lines(file, encoding_errors, pauses=True)
    head = first_lines(lines, inference.peek("tagger"))
    groups = decode.tag_lines(
        tagger.network(count_lines(head)),
        tagger.manifest,
        itertools.chain(head, lines),
        lang=lang,
        scheme=scheme,
        batch_size=batch_size,
    )
    out = sys.stdout
    for records in groups:
        out.write("".join(write(record) + "\n" for record in records))
        out.flush()
