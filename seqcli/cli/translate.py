"""`seqcli translate`: sentences, one per line, into another language."""

from __future__ import annotations

import itertools
import sys

import click

from seqcli.cli.options import (
    FloatRange,
    device_option,
    encoding_option,
    model_option,
    quiet_option,
)
from seqcli.translator.config import BATCH_SIZE, BEAM, LENGTH_PENALTY, MAX_LEN_RATIO

CHUNK = 8  # batches translated and written at a time


@click.command()
@click.argument("file", default="-", metavar="[FILE|-]")
@model_option(default="multi30k-en-de", help="A translator model.")
@click.option(
    "--beam",
    type=click.IntRange(min=1),
    default=BEAM,
    show_default=True,
    help="Beam size; 1 is greedy decoding.",
)
@click.option(
    "--n-best",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Translations per sentence, best first (at most --beam).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "jsonl", "html"]),
    default=None,
    help="text (the default): the translations; jsonl: one JSON object per line, "
    '{"source", "translations": [{"text", "score"}]}; html: one page, each '
    "sentence with its translations and its attention as a heatmap.",
)
@click.option("--json", "as_json", is_flag=True, help="The same as --format jsonl.")
@click.option(
    "--attention",
    is_flag=True,
    help='Each JSON object gains "attention": the best translation\'s attention '
    'weights, {"source_tokens", "target_tokens", "weights"} (a row per target '
    "token); implies --format jsonl, unless html.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=BATCH_SIZE,
    show_default=True,
    help="Sentences translated together.",
)
@click.option(
    "--max-len-ratio",
    type=FloatRange(min=0, min_open=True),
    default=MAX_LEN_RATIO,
    show_default=True,
    help="Longest translation, in tokens: this × the source length + 5.",
)
@click.option(
    "--length-penalty",
    type=FloatRange(min=0),
    default=LENGTH_PENALTY,
    show_default=True,
    help="Beam scores are log-probability / length ** this (0: no normalisation).",
)
@click.option(
    "--replace-unk/--keep-unk",
    default=True,
    show_default=True,
    help="Write each unknown output word as the source word it attended to most "
    "when that word is unknown too (names, numbers), else leave it out; or keep "
    "it as <unk>.",
)
@encoding_option
@device_option
@quiet_option
def translate(
    file,
    model,
    beam,
    n_best,
    fmt,
    as_json,
    attention,
    batch_size,
    max_len_ratio,
    length_penalty,
    replace_unk,
    encoding_errors,
    device,
):
    """Translate sentences, one per line, from FILE or stdin.

    Each input line gives one output line (an empty line stays empty), in order.
    With --n-best N and no --json, each sentence gives N lines
    "LINE<TAB>SCORE<TAB>TEXT" (LINE counts input lines from 1).

    \b
    echo "A man rides a horse on the beach." | seqcli translate -m en-de
    seqcli translate -m en-de --beam 1 < sentences.txt > out.txt
    seqcli translate -m en-de --n-best 3 --json sentences.txt
    seqcli translate -m en-de --attention --format html < in.txt > attention.html
    """
    if n_best > beam:
        raise click.BadParameter(
            f"must be at most --beam ({beam})", param_hint="--n-best"
        )
    if as_json and fmt not in (None, "jsonl"):
        raise click.BadParameter(
            f"--json and --format {fmt} disagree", param_hint="--json"
        )
    fmt = "jsonl" if as_json or (attention and fmt is None) else fmt or "text"
    if attention and fmt == "text":
        raise click.BadParameter(
            "needs --format jsonl or html", param_hint="--attention"
        )
    attention = attention or fmt == "html"  # the page draws it
    from seqcli import inference, output
    from seqcli.data import count_lines, first_lines, groups, iter_lines
    from seqcli.store import Store
    from seqcli.translator import html
    from seqcli.translator.data import Codec
    from seqcli.translator.decode import attention_map, records, search_lines, texts

    # lines as they come; a pause in the input (a line typed on a terminal, a slow
    # writer) has what was read translated at once
    lines = iter_lines(file, encoding_errors, pauses=True)
    head = first_lines(lines, inference.peek("translator"))
    rows = count_lines(head)
    net, manifest = inference.load(Store(), model, "translator", device, rows)
    codec = Codec(manifest)

    def emit(lines: list[str], first: int) -> None:
        tokens, hyps = search_lines(
            net,
            codec,
            lines,
            first_line=first,
            beam=beam,
            n_best=n_best,
            batch_size=batch_size,
            max_len_ratio=max_len_ratio,
            length_penalty=length_penalty,
            attention=attention,
        )
        found = texts(codec, tokens, hyps, replace_unk)
        maps = None
        if attention:
            maps = [
                attention_map(codec, s, h[0]) for s, h in zip(tokens, hyps, strict=True)
            ]
        if fmt == "jsonl":
            written = map(output.jsonl, records(lines, found, maps))
        elif fmt == "html":
            written = map(html.sentence, records(lines, found, maps))
        else:
            written = output.translations(found, first=first, n_best=n_best)
        sys.stdout.write("".join(f"{x}\n" for x in written))
        sys.stdout.flush()

    if fmt == "html":  # one page: its head now, its end once all is written
        sys.stdout.write(html.head() + "\n")

    # sorted by length within chunks of several batches, written chunk by chunk
    first = 1
    for chunk in groups(itertools.chain(head, lines), batch_size * CHUNK):
        emit(chunk, first)
        first += len(chunk)
    if fmt == "html":
        sys.stdout.write(html.foot() + "\n")
