"""`seqcli generate`: sample text from a char-level language model."""

from __future__ import annotations

import io
import os
import select
import sys
import time

import click

from seqcli.charlm.config import NO_REPEAT_NGRAM as NO_REPEAT
from seqcli.cli.options import (
    SEED_RANGE,
    FloatRange,
    device_option,
    encoding_option,
    model_option,
    quiet_option,
)


@click.command()
@model_option(default="shakespeare", help="A charlm model.")
@click.option(
    "--prime", metavar="TEXT", help="Text to start from (default: stdin if piped)."
)
@click.option(
    "--prime-file",
    type=click.Path(exists=True, dir_okay=False),
    help="Start from this file's text (any length, line ends kept).",
)
@click.option(
    "-n",
    "--length",
    type=click.IntRange(min=0),
    default=500,
    show_default=True,
    help="Characters to generate per sample (units of a word or subword model).",
)
@click.option(
    "-t",
    "--temperature",
    type=FloatRange(min=0),
    default=0.8,
    show_default=True,
    help="Below 1 is safer, above 1 wilder; 0 always takes the likeliest.",
)
@click.option(
    "--top-k",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Sample only from the k likeliest characters (0: all).",
)
@click.option(
    "--top-p",
    type=FloatRange(0, 1, min_open=True),
    default=1.0,
    show_default=True,
    help="Sample only from the likeliest characters holding this much mass.",
)
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Independent samples, generated as one batch.",
)
@click.option(
    "--seed", type=click.IntRange(**SEED_RANGE), help="Make the output repeatable."
)
@click.option(
    "--stop",
    metavar="TEXT",
    default="",
    help="End a sample once it has written TEXT (e.g. $'\\n\\n', a blank line).",
)
@click.option(
    "--beam",
    type=click.IntRange(min=1),
    help="Write the likeliest continuation a beam search of N beams finds, instead "
    "of sampling.",
)
@click.option(
    "--no-repeat-ngram",
    type=click.IntRange(min=0),
    help="With --beam: never write the same N characters twice (0: allowed).  "
    f"[default: {NO_REPEAT}]",
)
@click.option(
    "--beam-sample",
    is_flag=True,
    help="With --beam: draw the beams' candidates at the temperature (seeded) "
    "instead of taking the best.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='One JSON object per sample: {"sample", "prime", "text"}.',
)
@encoding_option
@device_option
@quiet_option
def generate(
    model,
    prime,
    prime_file,
    length,
    temperature,
    top_k,
    top_p,
    samples,
    seed,
    stop,
    beam,
    no_repeat_ngram,
    beam_sample,
    as_json,
    encoding_errors,
    device,
):
    """Generate text with a character-level language model, streaming it to stdout.

    The priming text is printed first, then the continuation. Several samples are
    separated by a blank line (use --json to tell them apart reliably).

    \b
    seqcli generate -m poems --prime "ROMEO:" -n 500 -t 0.7 --top-p 0.95
    echo "Once upon a time" | seqcli generate -n 200
    seqcli generate --prime-file scene.txt --beam 4 --stop $'\\n\\n'
    """
    search = check_search(
        click.get_current_context(), beam, no_repeat_ngram, beam_sample, samples
    )
    if len(stop) > length:
        raise click.BadParameter(
            f"is longer than --length ({length}): it could never end a sample",
            param_hint="--stop",
        )
    if prime_file is not None:
        if prime is not None:
            raise click.UsageError("give --prime or --prime-file, not both")
        prime = file_prime(prime_file, encoding_errors)
    elif prime is None and not sys.stdin.isatty():
        prime = stdin_prime(encoding_errors)
    elif prime is not None and piped_text_waiting():
        from seqcli import console

        console.warn("--prime is used; the text piped on stdin is not read")

    from seqcli import inference, output
    from seqcli.charlm.decode import sample_text
    from seqcli.store import Store

    rows = search.get("beam", samples)  # streams stepped together
    lm, manifest = inference.load(Store(), model, "charlm", device, rows=rows)
    found = sample_text(
        lm,
        manifest,
        prime or "",
        length=length,
        samples=samples,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        seed=seed,
        stop=stop,
        **search,
    )
    out = sys.stdout
    if samples == 1 and not as_json:
        out.write(found.prime)  # as given, characters the model never saw too
        out.flush()
        flushed = time.monotonic()
        tail = ""
        for (char,) in found.steps:
            out.write(char)
            tail = (tail + char)[-len(stop) :] if stop else ""
            # a flush per line or per 50 ms: streaming, without a write per character
            if char == "\n" or time.monotonic() - flushed > 0.05:
                out.flush()
                flushed = time.monotonic()
        if not (stop and tail == stop and stop.endswith("\n")):
            out.write("\n")  # the text ends with a line end, once
        return
    for k, record in enumerate(found.records()):
        if as_json:
            out.write(output.jsonl(record) + "\n")
        else:
            out.write(("\n" if k else "") + found.prime + record["text"] + "\n")
        out.flush()


def check_search(ctx, beam, no_repeat, beam_sample, samples) -> dict:
    """sample_text's beam settings, once the options that do not go with them are
    refused (a usage error)."""
    if beam is None:
        for option, given in [
            ("--no-repeat-ngram", no_repeat),
            ("--beam-sample", beam_sample),
        ]:
            if given:
                raise click.UsageError(f"{option} goes with --beam")
        return {}
    default = click.core.ParameterSource.DEFAULT
    sampling = ["top_k", "top_p"] + ([] if beam_sample else ["temperature"])
    for name in sampling:
        if ctx.get_parameter_source(name) != default:
            option = (
                "-t/--temperature"
                if name == "temperature"
                else f"--{name.replace('_', '-')}"
            )
            hint = " (it goes with --beam-sample)" if name == "temperature" else ""
            raise click.UsageError(f"{option} does not apply to --beam{hint}")
    if samples > 1:
        raise click.UsageError("--beam writes one continuation: leave out --samples")
    return {
        "beam": beam,
        "no_repeat": NO_REPEAT if no_repeat is None else no_repeat,
        "beam_sample": beam_sample,
    }


def file_prime(path: str, errors: str) -> str:
    """A prime file's text, read as the other commands read their input (UTF-8, a
    byte-order mark and CRLF's \\r dropped), its line ends kept."""
    from seqcli.data import read_text, split_lines
    from seqcli.errors import SeqcliError

    raw = read_text(path, errors)
    text = "\n".join(split_lines(raw)) + ("\n" if raw.endswith("\n") else "")
    if not text:
        raise SeqcliError(f"{path}: the prime file is empty")
    return text


def stdin_prime(errors: str) -> str:
    """The prime piped on stdin, read as the other commands read their input (UTF-8,
    a byte-order mark and the \\r of CRLF line ends dropped), without its last line
    end."""
    from seqcli.data import read_text, split_lines

    return "\n".join(split_lines(read_text("-", errors)))


def piped_text_waiting() -> bool:
    """Whether stdin, not a terminal, holds text right now (nothing is waited for:
    a writer that has not written yet goes unnoticed)."""
    if sys.stdin.isatty():
        return False
    stream = sys.stdin.buffer
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return bool(stream.read(1))  # an in-memory stream (tests)
    if os.name == "nt" or not select.select([fd], [], [], 0)[0]:
        return False
    return bool(os.read(fd, 1))
