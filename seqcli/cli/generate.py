"""`seqcli generate`: sample text from a char-level language model."""

from __future__ import annotations

import json
import sys
import time

import click

from seqcli.cli._options import device_option, model_option, quiet_option

DEFAULT_MODEL = "shakespeare"


@click.command()
@model_option(default=DEFAULT_MODEL, help="A charlm model.")
@click.option(
    "--prime", metavar="TEXT", help="Text to start from (default: stdin if piped)."
)
@click.option(
    "-n",
    "--length",
    type=int,
    default=500,
    show_default=True,
    help="Characters to generate per sample.",
)
@click.option(
    "-t",
    "--temperature",
    type=float,
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
    type=float,
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
@click.option("--seed", type=int, help="Make the output repeatable.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='One JSON object per sample: {"sample", "prime", "text"}.',
)
@device_option
@quiet_option
def generate(
    model, prime, length, temperature, top_k, top_p, samples, seed, as_json, device
):
    """Generate text with a character-level LSTM, streaming it to stdout.

    The priming text is printed first, then the continuation. Several samples are
    separated by a blank line (use --json to tell them apart reliably).

    \b
    seqcli generate -m poems --prime "ROMEO:" -n 500 -t 0.7 --top-p 0.95
    echo "Once upon a time" | seqcli generate -n 200
    """
    if length < 0:
        raise click.BadParameter("must be 0 or more", param_hint="-n/--length")
    if temperature < 0:
        raise click.BadParameter("must be 0 or more", param_hint="-t/--temperature")
    if not 0 < top_p <= 1:
        raise click.BadParameter("must be in (0, 1]", param_hint="--top-p")
    if prime is None and not sys.stdin.isatty():
        prime = sys.stdin.read().rstrip("\n")

    from seqcli import console, kinds, sampling
    from seqcli.device import pick_device
    from seqcli.store import Store
    from seqcli.vocab import Vocab, chars

    lm, manifest = kinds.load(Store(), model, "charlm", pick_device(device))
    vocab = Vocab.from_dict(manifest["vocabs"]["chars"])
    prime = prime or ""
    unknown = vocab.unknown(chars(prime))
    if unknown:
        console.warn(f"skipping characters the model never saw: {''.join(unknown)!r}")
    prime_ids = [vocab.stoi[c] for c in prime if c in vocab]
    if not prime_ids:  # start as a text would: after a newline, or the commonest char
        prime_ids = [vocab.stoi.get("\n", len(vocab.to_dict()["specials"]))]
    kept = "".join(c for c in prime if c in vocab)

    steps = sampling.generate(
        lm,
        prime_ids,
        length=length,
        samples=samples,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        seed=seed,
        banned=[vocab.pad_index, vocab.unk_index, vocab.bos_index, vocab.eos_index],
    )
    out = sys.stdout
    if samples == 1 and not as_json:
        out.write(kept)
        out.flush()
        flushed = time.monotonic()
        for (i,) in steps:
            out.write(vocab.itos[i])
            # a flush per line or per 50 ms: streaming, without a write per character
            if vocab.itos[i] == "\n" or time.monotonic() - flushed > 0.05:
                out.flush()
                flushed = time.monotonic()
        out.write("\n")
        return
    texts = [[] for _ in range(samples)]
    for ids in steps:
        for text, i in zip(texts, ids, strict=True):
            text.append(vocab.itos[i])
    for k, text in enumerate(texts):
        if as_json:
            out.write(
                json.dumps(
                    {"sample": k + 1, "prime": kept, "text": "".join(text)},
                    ensure_ascii=False,
                )
                + "\n"
            )
        else:
            out.write(("\n" if k else "") + kept + "".join(text) + "\n")
        out.flush()
