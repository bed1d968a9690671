"""`seqcli train KIND ...`: build a model from a user's corpus.

Each kind's command takes its data options, then its model settings and the
training loop's settings, both made from the kind's config (seqcli/<kind>/config.py),
where their defaults and help live.
"""

from __future__ import annotations

import click

from seqcli.charlm.config import TRAINING as CHARLM_TRAINING
from seqcli.charlm.config import CharLMConfig
from seqcli.classifier.config import TRAINING as CLASSIFIER_TRAINING
from seqcli.classifier.config import ClassifierConfig
from seqcli.cli.options import (
    FloatRange,
    config_options,
    device_option,
    encoding_option,
    pop_config,
    quiet_option,
)
from seqcli.config import TrainConfig
from seqcli.errors import OptionError, SeqcliError
from seqcli.tagger.config import TRAINING as TAGGER_TRAINING
from seqcli.tagger.config import TaggerConfig
from seqcli.translator.config import BEAM, TranslatorConfig
from seqcli.translator.config import TRAINING as TRANSLATOR_TRAINING


@click.group()
def train() -> None:
    """Train a model and keep its best dev checkpoint in the store."""


def training_options(config: type, training: TrainConfig):
    """The model settings of `config`, the training loop's settings with the kind's
    defaults, and the options every `train KIND` command shares."""

    def decorate(f):
        for option in reversed(
            [
                config_options(config),
                config_options(TrainConfig, training),
                click.option(
                    "--resume",
                    is_flag=True,
                    help="Continue the interrupted or finished run.",
                ),
                click.option(
                    "--force",
                    is_flag=True,
                    help="Replace an existing model of this name.",
                ),
                click.option(
                    "--with-dev",
                    metavar="NAME",
                    help="Train on the training and dev data together, for the "
                    "epochs that NAME (this recipe's run with dev) took to its best "
                    "checkpoint, and keep the last weights: for release, once dev "
                    "has chosen the settings. The model has no dev score of its own.",
                ),
                encoding_option,
                device_option,
                quiet_option,
            ]
        ):
            f = option(f)
        return f

    return decorate


def run(kind: str, *, name: str, resume: bool, force: bool, **options):
    """Check that `name` may be (re)written, then call the kind's recipe with the
    options left once the settings are taken out; Ctrl-C exits 130 once the state
    is saved. The model's lock is taken before the checks, so that of two runs of
    one name started together one trains and the other is refused."""
    import contextlib

    from seqcli import console, distributed, kinds
    from seqcli.device import pick_device
    from seqcli.store import Store, check_name
    from seqcli.train import Interrupted

    if resume and force:
        raise OptionError(
            "--resume continues the model's run, --force replaces it: give one"
        )
    store = Store()
    check_name(name)
    if store.is_builtin(name):
        raise SeqcliError(
            f"{name!r} is the name of a built-in model; choose another --name"
        )
    parts = kinds.get(kind)
    model_settings = pop_config(parts.config_class(), options)
    settings = pop_config(TrainConfig, options)
    device = pick_device(options.pop("device"))
    # under torchrun rank 0 holds the lock and writes for all
    guard = store.lock(name) if distributed.is_main() else contextlib.nullcontext()
    with guard:
        if resume and not store.has_state(name):
            raise SeqcliError(f"model {name!r} has no training state to resume from")
        if name in store.names() and not (resume or force):
            raise SeqcliError(
                f"model {name!r} already exists: continue it with --resume, "
                "replace it with --force, or choose another --name"
            )
        try:
            pos = parts.module("recipe").train(
                name=name,
                store=store,
                device=device,
                settings=settings,
                config=model_settings,
                resume=resume,
                **options,
            )
        except Interrupted:
            pos = None
    # under torchrun every rank stopped at the same step; rank 0 reports for all
    if pos is None:
        click.echo(
            f"interrupted: state saved; continue with --resume --name {name}",
            err=True,
        )
        distributed.finish(130)
        raise SystemExit(130)
    best = f"; best dev {pos.best:.4g}" if pos.best is not None else ""
    console.info(
        f"{name}: stopped ({pos.stopped}) after {pos.global_step} steps, "
        f"{pos.elapsed:.0f}s{best}"
    )
    distributed.finish(0)


def _check_name(ctx, param, value):
    from seqcli.store import check_name

    try:
        return check_name(value)
    except SeqcliError as e:
        raise click.BadParameter(str(e)) from None


name_option = click.option(
    "--name",
    required=True,
    callback=_check_name,
    help="Name of the model in the store.",
)


def vectors_options(vector_words: int):
    """--vectors, and --vector-words with this default."""

    def decorate(f):
        f = click.option(
            "--vector-words",
            type=click.IntRange(min=0),
            default=vector_words,
            show_default=True,
            help="The commonest words of --vectors added to the vocabulary.",
        )(f)
        return click.option(
            "--vectors",
            metavar="FILE",
            help="Word vectors (GloVe or word2vec text, .gz allowed) to start from.",
        )(f)

    return decorate


def dev_fraction_option(default: float):
    return click.option(
        "--dev-fraction",
        type=FloatRange(0, 0.5, min_open=True),
        default=default,
        show_default=True,
        help="Part of the training data held back for dev when no dev data is given.",
    )


@train.command("charlm")
@click.argument("paths", nargs=-1, required=True, metavar="FILE...")
@name_option
@click.option(
    "--dev", "dev_path", metavar="FILE", help="Dev text (default: the end of FILE...)."
)
@dev_fraction_option(0.05)
@training_options(CharLMConfig, CHARLM_TRAINING)
def train_charlm(paths, **options):
    """Train a character-level language model (LSTM, GRU or minGRU) on text files.

    \b
    seqcli train charlm book.txt more.txt --name poems --time-budget 600
    """
    run("charlm", paths=list(paths), **options)


@train.command("tagger")
@click.argument("path", metavar="TRAIN.conll")
@click.option(
    "--dev",
    "dev_path",
    metavar="FILE",
    help="Dev CoNLL (default: a seeded random --dev-fraction of TRAIN's sentences).",
)
@dev_fraction_option(0.1)
@name_option
@click.option(
    "--label-column",
    type=int,
    default=-1,
    show_default=True,
    help="Column of the gold labels, from 0 (negative counts from the end).",
)
@vectors_options(vector_words=50_000)
@click.option(
    "--lm",
    "lms",
    metavar="NAME",
    multiple=True,
    help="A char-LM of the store whose states become context features (repeat: "
    "one forward and one backward, see `train charlm --direction`).",
)
@training_options(TaggerConfig, TAGGER_TRAINING)
def train_tagger(**options):
    """Train a BiLSTM-CRF named-entity tagger on CoNLL data (IOB1, IOB2 or BIOES);
    --cell gru, mingru or rnn replaces the LSTM.

    The best checkpoint by dev entity F1 (conlleval) is kept.

    \b
    seqcli train tagger train.conll --dev dev.conll --name ner --time-budget 1800
    """
    run("tagger", **options)


@train.command("translator")
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
@dev_fraction_option(0.05)
@name_option
@click.option(
    "--src-vectors",
    type=click.Path(exists=True, dir_okay=False),
    help="Word vectors (GloVe or word2vec text, .gz allowed) to start the source "
    "embeddings from, looked up lower-cased.",
)
@training_options(TranslatorConfig, TRANSLATOR_TRAINING)
def train_translator(src, tgt, pairs, dev_src, dev_tgt, dev_pairs, **options):
    """Train a recurrent encoder-decoder with attention on parallel text (LSTM,
    GRU or minGRU: --cell).

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
    run(
        "translator",
        src=src,
        tgt=tgt,
        pairs=pairs,
        dev_src=dev_src,
        dev_tgt=dev_tgt,
        dev_pairs=dev_pairs,
        **options,
    )


@train.command("classifier")
@click.argument("path", metavar="TRAIN")
@click.option(
    "--dev",
    "dev_path",
    metavar="FILE",
    help="Dev lines (default: a seeded random --dev-fraction of TRAIN).",
)
@dev_fraction_option(0.1)
@name_option
@vectors_options(vector_words=0)
@training_options(ClassifierConfig, CLASSIFIER_TRAINING)
def train_classifier(**options):
    """Train a recurrent text classifier (sentiment, topics...) on labelled lines.

    TRAIN holds one text per line, as label<TAB>text or as fastText's
    "__label__LABEL text". The best checkpoint by dev accuracy (or --metric
    macro_f1) is kept.

    \b
    seqcli train classifier train.tsv --dev dev.tsv --name sentiment \\
        --vectors glove.6B.50d.txt.gz --time-budget 1200
    """
    run("classifier", **options)
