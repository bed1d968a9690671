"""`seqcli translate` and `seqcli train translator`."""

from __future__ import annotations

import json
import sys

import click

from seqcli.cli._options import (
    device_option,
    encoding_option,
    model_option,
    quiet_option,
    train_config,
)
from seqcli.cli.train import model_option as setting_option
from seqcli.cli.train import run, start, training_options
from seqcli.config import BEAM, LENGTH_PENALTY, TRAIN_DEFAULTS, TranslatorConfig

DEFAULT_MODEL = "multi30k-en-de"


@click.command()
@click.argument("file", default="-", metavar="[FILE|-]")
@model_option(default=DEFAULT_MODEL, help="A translator model.")
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
    "--json",
    "as_json",
    is_flag=True,
    help='One JSON object per line: {"source", "translations": [{"text", "score"}]}.',
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=128,
    show_default=True,
    help="Sentences translated together.",
)
@click.option(
    "--max-len-ratio",
    type=click.FloatRange(min=0, min_open=True),
    default=1.5,
    show_default=True,
    help="Longest translation, in tokens: this × the source length + 5.",
)
@click.option(
    "--length-penalty",
    "alpha",
    type=click.FloatRange(min=0),
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
    as_json,
    batch_size,
    max_len_ratio,
    alpha,
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
    """
    if n_best > beam:
        raise click.BadParameter(
            f"must be at most --beam ({beam})", param_hint="--n-best"
        )
    from seqcli import kinds
    from seqcli.data import read_lines
    from seqcli.device import pick_device
    from seqcli.store import Store
    from seqcli.translator import Codec, translate_lines

    net, manifest = kinds.load(Store(), model, "translator", pick_device(device))
    codec = Codec(manifest)
    search = {
        "beam": beam,
        "n_best": n_best,
        "batch_size": batch_size,
        "max_len_ratio": max_len_ratio,
        "alpha": alpha,
    }

    def emit(lines: list[str], first: int) -> None:
        found = translate_lines(
            net, codec, lines, first_line=first, replace_unk=replace_unk, **search
        )
        out = []
        for n, (line, hyps) in enumerate(zip(lines, found, strict=True), first):
            if as_json:
                translations = [{"text": t, "score": round(s, 4)} for t, s in hyps]
                record = {"source": line, "translations": translations}
                out.append(json.dumps(record, ensure_ascii=False))
            elif n_best == 1:
                out.append(hyps[0][0])
            else:
                out += [f"{n}\t{s:.4f}\t{t}" for t, s in hyps]
        sys.stdout.write("".join(f"{x}\n" for x in out))
        sys.stdout.flush()

    if file == "-" and sys.stdin.isatty():  # typed: translate each line at once
        for n, line in enumerate(sys.stdin, 1):
            emit([line.rstrip("\n")], n)
        return
    lines = read_lines(file, encoding_errors)
    # sorted by length within chunks of several batches, flushed chunk by chunk
    chunk = batch_size * 8
    for first in range(0, len(lines), chunk):
        emit(lines[first : first + chunk], first + 1)


@click.command("translator")
@click.option("--src", metavar="FILE", help="Source sentences, one per line.")
@click.option("--tgt", metavar="FILE", help="Their translations, line by line.")
@click.option(
    "--pairs", metavar="FILE", help="Instead of --src/--tgt: source<TAB>target lines."
)
@click.option("--dev-src", metavar="FILE", help="Dev source sentences.")
@click.option("--dev-tgt", metavar="FILE", help="Dev reference translations.")
@click.option("--dev-pairs", metavar="FILE", help="Dev source<TAB>target lines.")
@click.option(
    "--dev-beam",
    type=click.IntRange(min=1),
    default=BEAM,
    show_default=True,
    help="Beam width of the dev translations that pick the checkpoint (1: greedy, "
    "faster).",
)
@click.option(
    "--dev-fraction",
    type=click.FloatRange(0, 0.5, min_open=True),
    default=0.05,
    show_default=True,
    help="Pairs held back for dev when no dev data is given.",
)
@click.option("--name", required=True, help="Name of the model in the store.")
@click.option(
    "--src-lang",
    default="en",
    show_default=True,
    help="Source language (a spaCy language code, for the tokenizer).",
)
@click.option("--tgt-lang", default="de", show_default=True, help="Target language.")
@setting_option(TranslatorConfig, "embedding", "Size of each word's embedding.", min=1)
@click.option(
    "--src-vectors",
    type=click.Path(exists=True, dir_okay=False),
    help="Word vectors (GloVe or word2vec text, .gz allowed) to start the source "
    "embeddings from, looked up lower-cased.",
)
@setting_option(
    TranslatorConfig, "hidden", "LSTM units (per direction in the encoder).", min=1
)
@setting_option(TranslatorConfig, "encoder-layers", "Bidirectional LSTM layers.", min=1)
@setting_option(TranslatorConfig, "decoder-layers", "Decoder LSTM layers.", min=1)
@setting_option(
    TranslatorConfig, "dropout", "Dropout rate.", min=0, max=1, max_open=True
)
@setting_option(
    TranslatorConfig,
    "word-dropout",
    "Chance each training source word reads as <unk>.",
    min=0,
    max=1,
    max_open=True,
)
@click.option(
    "--attention",
    type=click.Choice(["luong", "bahdanau"]),
    default=TranslatorConfig.attention,
    show_default=True,
    help="Attention score: bilinear (luong) or MLP (bahdanau).",
)
@setting_option(
    TranslatorConfig,
    "input-feeding",
    "Feed each step's attentional vector to the next (slower training).",
)
@setting_option(
    TranslatorConfig,
    "context-layer",
    "A second decoder LSTM reads each step's attention context.",
)
@setting_option(
    TranslatorConfig,
    "deep-output",
    "The previous word's embedding also feeds the output layer's input.",
)
@setting_option(
    TranslatorConfig, "tie-embeddings", "The output layer shares the target embedding."
)
@setting_option(
    TranslatorConfig,
    "label-smoothing",
    "Label smoothing of the loss.",
    min=0,
    max=1,
    max_open=True,
)
@setting_option(
    TranslatorConfig,
    "sampled-softmax",
    "CPU training: the softmax covers each batch's target words and N other words "
    "drawn at random, standing for the rest (0: all words).",
    min=0,
)
@setting_option(TranslatorConfig, "batch-size", "Sentence pairs per step.", min=1)
@setting_option(TranslatorConfig, "min-freq", "Rarer words become <unk>.", min=1)
@setting_option(TranslatorConfig, "max-vocab", "Words kept per language.", min=1)
@setting_option(
    TranslatorConfig,
    "subwords",
    "Byte-pair merges learnt per language: rare words become pieces (0: words).",
    min=0,
)
@setting_option(
    TranslatorConfig,
    "rare-subwords",
    "Byte-pair merges learnt from the words rarer than --min-freq only: those words "
    "are spelt in pieces, the rest stay whole (0: rare words become <unk>).",
    min=0,
)
@training_options
def train_translator(
    src,
    tgt,
    pairs,
    dev_src,
    dev_tgt,
    dev_pairs,
    dev_beam,
    dev_fraction,
    name,
    src_lang,
    tgt_lang,
    src_vectors,
    resume,
    force,
    encoding_errors,
    device,
    **flags,
):
    """Train an LSTM encoder-decoder with attention on parallel text.

    Give the training data as --src and --tgt (line i of one translates line i of
    the other) or as --pairs; the dev data likewise. Dev BLEU picks the checkpoint.

    \b
    seqcli train translator --src train.en --tgt train.de --dev-src val.en \\
        --dev-tgt val.de --src-lang en --tgt-lang de --name en-de --time-budget 1800
    """
    if pairs and (src or tgt):
        raise click.UsageError("give --src and --tgt, or --pairs, not both")
    if not pairs and not (src and tgt):
        raise click.UsageError("give the training data: --src and --tgt, or --pairs")
    if dev_pairs and (dev_src or dev_tgt):
        raise click.UsageError("give --dev-src and --dev-tgt, or --dev-pairs")
    if bool(dev_src) != bool(dev_tgt):
        raise click.UsageError("--dev-src and --dev-tgt go together")
    from dataclasses import fields

    from seqcli import translator
    from seqcli.device import pick_device

    settings = {f.name for f in fields(TranslatorConfig)}
    config = TranslatorConfig(
        src_lang=src_lang,
        tgt_lang=tgt_lang,
        **{k: flags.pop(k) for k in list(flags) if k in settings},
    )
    store = start(name, resume, force)
    run(
        name,
        translator.train,
        store=store,
        device=pick_device(device),
        settings=train_config(TRAIN_DEFAULTS["translator"], flags),
        config=config,
        src=src,
        tgt=tgt,
        pairs=pairs,
        dev_src=dev_src,
        dev_tgt=dev_tgt,
        dev_pairs=dev_pairs,
        dev_fraction=dev_fraction,
        src_vectors=src_vectors,
        dev_beam=dev_beam,
        resume=resume,
        encoding_errors=encoding_errors,
    )
