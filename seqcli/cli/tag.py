"""`seqcli tag` (named entities in text or CoNLL files) and `seqcli train tagger`."""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterator

import click

from seqcli.cli import train as train_cli
from seqcli.cli._options import (
    device_option,
    encoding_option,
    model_option,
    quiet_option,
    train_config,
)
from seqcli.config import TRAIN_DEFAULTS, TaggerConfig

DEFAULT_MODEL = "conll-en"
SCHEMES = ["iob1", "iob2", "bioes"]
GROUP = 16  # batches of lines read, tagged and written at a time
# up to this many lines (or CoNLL sentences) on the CPU are tagged with numpy:
# importing PyTorch takes longer than tagging them
NUMPY_LINES = 100


def inline(record: dict) -> str:
    """Tokens joined by spaces, entities bracketed: `[PER John Smith] flew .`"""
    from seqcli.conll import to_spans

    words = list(record["tokens"])
    for start, end, label in to_spans(record["tags"]):
        words[start] = f"[{label} {words[start]}"
        words[end - 1] += "]"
    return " ".join(words)


def jsonl(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False)


def conll(record: dict) -> Iterator[str]:
    """token<TAB>tag lines, then a blank line."""
    for token, tag in zip(record["tokens"], record["tags"], strict=True):
        yield f"{token}\t{tag}"
    yield ""


def _groups(items: Iterator, size: int) -> Iterator[list]:
    group = []
    for item in items:
        group.append(item)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group


@click.command()
@model_option(default=DEFAULT_MODEL, help="A tagger model.")
@click.argument("file", default="-", metavar="[FILE|-]")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["inline", "jsonl", "conll"]),
    default="inline",
    show_default=True,
    help="inline: [PER John Smith] brackets; jsonl: one object per line with "
    "character offsets; conll: a prediction column (token<TAB>tag for text input).",
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
    default=64,
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
    """
    from seqcli import tagging
    from seqcli.store import Store

    Store().manifest(model, "tagger")  # a wrong name fails before input is read
    if input_format == "conll":
        _tag_conll(model, device, file, fmt, scheme, batch_size, encoding_errors)
        return
    from seqcli.data import iter_lines
    from seqcli.vocab import WordTokenizer

    lines = iter_lines(file, encoding_errors)
    head = list(itertools.islice(lines, NUMPY_LINES + 1))
    net, manifest = _load(model, device, small=len(head) <= NUMPY_LINES)
    encoder = tagging.encoder_from_manifest(manifest)
    scheme = scheme or manifest["input_scheme"]
    tokenizer = WordTokenizer(lang or manifest["config"]["lang"])
    out = sys.stdout
    for texts in _groups(itertools.chain(head, lines), batch_size * GROUP):
        found = tagging.tag_texts(
            net,
            manifest,
            texts,
            tokenizer=tokenizer,
            scheme=scheme,
            batch_size=batch_size,
            encoder=encoder,
        )
        for record in found:
            if fmt == "conll":
                out.write("".join(line + "\n" for line in conll(record)))
            else:
                out.write((inline if fmt == "inline" else jsonl)(record) + "\n")
        out.flush()


def _load(name: str, device: str | None, small: bool) -> tuple:
    """(model, manifest): numpy for a small input on the CPU, else PyTorch."""
    from seqcli.device import cpu_only
    from seqcli.store import Store

    if small and cpu_only(device):
        from seqcli import console, tagger_numpy

        console.info("device: cpu (numpy)")
        return tagger_numpy.load(Store(), name)
    from seqcli import kinds
    from seqcli.device import pick_device

    return kinds.load(Store(), name, "tagger", pick_device(device))


def _tag_conll(name, device, path, fmt, scheme, batch_size, errors) -> None:
    """CoNLL in: every input line out with a prediction column, or records."""
    from seqcli import tagging
    from seqcli.conll import Document, format_conll

    doc = tagging.read_conll(path, label_column=None, errors=errors)
    net, manifest = _load(name, device, small=len(doc.sentences) <= NUMPY_LINES)
    encoder = tagging.encoder_from_manifest(manifest)
    scheme = scheme or manifest["input_scheme"]
    out = sys.stdout
    size = batch_size * GROUP
    for start in range(0, len(doc.items), size):
        part = Document(doc.items[start : start + size], doc.source, doc.sep)
        sentences = part.sentences
        tags = tagging.tag_tokens(
            net,
            manifest,
            [s.tokens for s in sentences],
            scheme=scheme,
            batch_size=batch_size,
            encoder=encoder,
        )
        if fmt == "conll":
            out.write("".join(line + "\n" for line in format_conll(part, tags)))
        else:
            for sentence, labels in zip(sentences, tags, strict=True):
                record = _conll_record(sentence, labels)
                out.write((inline if fmt == "inline" else jsonl)(record) + "\n")
        out.flush()


def _conll_record(sentence, labels: list[str]) -> dict:
    """A record for a CoNLL sentence, its text being the tokens joined by spaces."""
    from seqcli.tagging import records

    offsets, at = [], 0
    for token in sentence.tokens:
        offsets.append((token, at))
        at += len(token) + 1
    return records([" ".join(sentence.tokens)], [offsets], [labels])[0]


@click.command("tagger")
@click.argument("path", metavar="TRAIN.conll")
@click.option("--dev", "dev_path", required=True, metavar="FILE", help="Dev CoNLL.")
@click.option("--name", required=True, help="Name of the model in the store.")
@click.option(
    "--label-column",
    type=int,
    default=-1,
    show_default=True,
    help="Column of the gold labels, from 0 (negative counts from the end).",
)
@click.option(
    "--vectors",
    metavar="FILE",
    help="Word vectors (GloVe or word2vec text, .gz allowed) to start from.",
)
@click.option(
    "--vector-words",
    type=click.IntRange(min=0),
    default=50_000,
    show_default=True,
    help="The commonest words of --vectors added to the vocabulary.",
)
@click.option(
    "--lang",
    default="en",
    show_default=True,
    help="spaCy tokenizer the model uses for plain text.",
)
@click.option(
    "--scheme",
    type=click.Choice(SCHEMES),
    default=TaggerConfig.scheme,
    show_default=True,
    help="Tag scheme the CRF learns (input and output keep the data's scheme).",
)
@click.option(
    "--case",
    type=click.Choice(["lower", "cased"]),
    default=TaggerConfig.case,
    show_default=True,
    help="lower: lower-cased words plus a capitalisation feature; cased: as written.",
)
@train_cli.model_option(TaggerConfig, "embedding", "Size of word embeddings.", min=1)
@train_cli.model_option(
    TaggerConfig, "char-embedding", "Size of character embeddings.", min=1
)
@train_cli.model_option(
    TaggerConfig, "char-filters", "Char-CNN filters (spelling features).", min=1
)
@train_cli.model_option(TaggerConfig, "hidden", "BiLSTM units per direction.", min=1)
@train_cli.model_option(TaggerConfig, "layers", "Stacked BiLSTM layers.", min=1)
@train_cli.model_option(
    TaggerConfig, "dropout", "Dropout on features and BiLSTM output.", min=0, max=0.9
)
@train_cli.model_option(
    TaggerConfig,
    "word-dropout",
    "Chance a training word seen once reads as unknown.",
    min=0,
    max=1,
)
@train_cli.model_option(TaggerConfig, "batch-size", "Sentences per step.", min=1)
@train_cli.training_options
def train_tagger(
    path,
    dev_path,
    name,
    label_column,
    vectors,
    vector_words,
    lang,
    scheme,
    case,
    resume,
    force,
    encoding_errors,
    device,
    **flags,
):
    """Train a BiLSTM-CRF named-entity tagger on CoNLL data (IOB1, IOB2 or BIOES).

    The best checkpoint by dev entity F1 (conlleval) is kept.

    \b
    seqcli train tagger train.conll --dev dev.conll --name ner --time-budget 1800
    """
    from seqcli import tagger
    from seqcli.device import pick_device

    sizes = {
        k: flags.pop(k)
        for k in (
            "embedding",
            "char_embedding",
            "char_filters",
            "hidden",
            "layers",
            "dropout",
            "word_dropout",
            "batch_size",
        )
    }
    store = train_cli.start(name, resume, force)
    config = TaggerConfig(lang=lang, scheme=scheme, case=case, **sizes)
    train_cli.run(
        name,
        tagger.train,
        path=path,
        store=store,
        device=pick_device(device),
        settings=train_config(TRAIN_DEFAULTS["tagger"], flags),
        config=config,
        dev_path=dev_path,
        label_column=label_column,
        vectors=vectors,
        vector_words=vector_words,
        resume=resume,
        encoding_errors=encoding_errors,
    )
