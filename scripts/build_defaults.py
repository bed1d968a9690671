"""Build the default models that ship inside the package (seqcli/defaults/).

    python scripts/build_defaults.py charlm      [--time-budget 600]
    python scripts/build_defaults.py tagger      [--time-budget 1800]
    python scripts/build_defaults.py translator  [--time-budget 1800]
    python scripts/build_defaults.py tagger --from-store conll-en  # export one

Needs the real corpora in ../shared (beside the project). Each model is trained with
seqcli's own training code (the same settings as `make bench`), its weights are
converted to float16 (half the size; the dev metric is measured again after the
conversion and must not move), and it is written to seqcli/defaults/NAME with the
training data and its license recorded in the manifest.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEFAULTS = ROOT / "seqcli" / "defaults"
sys.path.insert(0, str(ROOT))

from seqcli import kinds  # noqa: E402
from seqcli.charlm import config as charlm_config  # noqa: E402
from seqcli.charlm import recipe as charlm_recipe  # noqa: E402
from seqcli.classifier import config as classifier_config  # noqa: E402
from seqcli.classifier import recipe as classifier_recipe  # noqa: E402
from seqcli.store import Store  # noqa: E402
from seqcli.tagger import config as tagger_config  # noqa: E402
from seqcli.tagger import recipe as tagger_recipe  # noqa: E402
from seqcli.translator import config as translator_config  # noqa: E402
from seqcli.translator import recipe as translator_recipe  # noqa: E402

CPU = torch.device("cpu")


def shared(*parts: str) -> str:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        sys.exit(
            f"error: {path} is missing: the default models are built from ../shared"
        )
    # relative to the project (main() works there), so that the shipped manifests
    # name the data as "../shared/..." and not by this machine's absolute path
    return os.path.relpath(path, ROOT)


MODELS = {
    "charlm": {
        "name": "shakespeare",
        "training": charlm_config.TRAINING,
        "data": {
            "corpus": "Tiny Shakespeare, train part (first 90% of the char-rnn text)",
            "license": "public domain text",
            "dev": "the last 5% of that train part, held out from training",
        },
        "time_budget": 600,
    },
    "tagger": {
        "name": "conll-en",
        "training": tagger_config.TRAINING,
        "data": {
            "corpus": "CoNLL-2003 English NER, eng.train (Reuters news, IOB1)",
            "license": "CoNLL-2003 / Reuters RCV1: research use",
            "dev": "CoNLL-2003 eng.testa (dev) for model selection",
            "vectors": "GloVe 6B 50d (PDDL 1.0), rows of the model's vocabulary",
        },
        "time_budget": 1800,
    },
    "translator": {
        "name": "multi30k-en-de",
        "training": translator_config.TRAINING,
        "data": {
            "corpus": "Multi30k task 1 English-German, train (29,000 pairs)",
            "license": "Multi30k: non-commercial research and education",
            "dev": "val (1,014 pairs) for model selection and the score",
            "vectors": "GloVe 6B 50d (PDDL 1.0), the source embeddings' first columns",
        },
        "time_budget": 1800,
    },
    "classifier": {
        "name": "sentiment-en",
        "training": classifier_config.TRAINING,
        "data": {
            "corpus": "IMDB Large Movie Review Dataset v1.0, train split less dev "
            "(22,500 reviews; Maas et al. 2011)",
            "license": "IMDb user reviews: research use (cite Maas et al., ACL 2011)",
            "dev": "a seeded random 10% of the original train split (2,500 reviews)",
            "vectors": "GloVe 6B 50d (PDDL 1.0), rows of the model's vocabulary",
        },
        "time_budget": 1200,
        "eval_every": 350,
    },
}


def train(kind: str, store: Store, name: str, seconds: float) -> None:
    settings = replace(
        MODELS[kind]["training"],
        time_budget=seconds,
        eval_every=MODELS[kind].get("eval_every", 0),
    )
    common = {"name": name, "store": store, "device": CPU, "settings": settings}
    if kind == "charlm":
        path = shared("corpora", "shakespeare", "train.txt")
        charlm_recipe.train([path], config=charlm_config.CharLMConfig(), **common)
    elif kind == "tagger":
        tagger_recipe.train(
            shared("corpora", "conll2003", "train.txt"),
            config=tagger_config.TaggerConfig(),
            dev_path=shared("corpora", "conll2003", "dev.txt"),
            vectors=shared("vectors", "glove.6B.50d.txt.gz"),
            **common,
        )
    elif kind == "classifier":
        classifier_recipe.train(
            shared("corpora", "imdb", "train.txt"),
            config=classifier_config.ClassifierConfig(),
            dev_path=shared("corpora", "imdb", "dev.txt"),
            vectors=shared("vectors", "glove.6B.50d.txt.gz"),
            **common,
        )
    else:
        translator_recipe.train(
            config=translator_config.TranslatorConfig(src_lang="en", tgt_lang="de"),
            src=shared("corpora", "multi30k", "train.en"),
            tgt=shared("corpora", "multi30k", "train.de"),
            dev_src=shared("corpora", "multi30k", "val.en"),
            dev_tgt=shared("corpora", "multi30k", "val.de"),
            src_vectors=shared("vectors", "glove.6B.50d.txt.gz"),
            **common,
        )


def measure(kind: str, model, manifest: dict) -> dict:
    """The quality figure the README reports for each default."""
    if kind == "charlm":
        text = Path(shared("corpora", "shakespeare", "train.txt")).read_text("utf-8")
        from seqcli.vocab import Vocab, chars

        vocab = Vocab.from_dict(manifest["vocabs"]["chars"])
        dev = torch.tensor(vocab.encode(chars(text[int(len(text) * 0.95) :])))
        return charlm_recipe.lm_metrics(charlm_recipe.lm_loss(model, dev))
    if kind == "tagger":
        metrics = tagger_recipe.evaluate(
            model, manifest, files=[shared("corpora", "conll2003", "dev.txt")]
        )
        return {k: metrics[k] for k in ("precision", "recall", "f1")}
    if kind == "classifier":
        metrics = classifier_recipe.evaluate(
            model, manifest, files=[shared("corpora", "imdb", "dev.txt")]
        )
        return {k: metrics[k] for k in ("accuracy", "macro_f1")}
    metrics = translator_recipe.evaluate(
        model,
        manifest,
        files=[],
        src=shared("corpora", "multi30k", "val.en"),
        tgt=shared("corpora", "multi30k", "val.de"),
    )
    return {"val_bleu_beam5": metrics["bleu"], "val_chrf_beam5": metrics["chrf"]}


def export(kind: str, store: Store, name: str) -> None:
    """Copy a trained model into the package with float16 weights, re-measured."""
    spec = MODELS[kind]
    manifest, tensors = store.load(name, kind)
    half = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
    results = {}
    for label, weights in (("float32", tensors), ("float16", half)):
        model = kinds.build(manifest)
        model.load_state_dict(
            {k: v.float() if v.is_floating_point() else v for k, v in weights.items()}
        )
        results[label] = measure(kind, model.eval(), manifest)
        print(f"{spec['name']} ({label}): {results[label]}")
    manifest = {
        **manifest,
        "dev_metrics_during_training": manifest.get("metrics"),
        "metrics": results["float16"],
        "metrics_float32": results["float32"],
        "data": spec["data"],
        "weights_dtype": "float16",
    }
    for key in ("format", "weights", "name", "created", "versions"):
        manifest.pop(key, None)
    Store(DEFAULTS, builtin=None).save(spec["name"], half, manifest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=list(MODELS))
    parser.add_argument("--time-budget", type=float, help="seconds of training")
    parser.add_argument(
        "--from-store", metavar="NAME", help="export this model of the user's store"
    )
    args = parser.parse_args()
    os.chdir(ROOT)
    torch.set_num_threads(2)
    if args.from_store:
        export(args.kind, Store(builtin=None), args.from_store)
        return
    seconds = args.time_budget or MODELS[args.kind]["time_budget"]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp), builtin=None)
        train(args.kind, store, "build", seconds)
        export(args.kind, store, "build")


if __name__ == "__main__":
    main()
