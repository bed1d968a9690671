"""Build the default models that ship inside the package (seqcli/defaults/).

    python scripts/build_defaults.py charlm      [--time-budget 600]
    python scripts/build_defaults.py tagger      [--time-budget 1800]
    python scripts/build_defaults.py wnut17      [--time-budget 900]
    python scripts/build_defaults.py translator  [--time-budget 1800]
    python scripts/build_defaults.py tagger --from-store conll-en  # export one
    python scripts/build_defaults.py charlm --with-dev shakespeare  # for release

Needs the real corpora in ../shared (beside the project). Each model is trained with
seqcli's own training code (the same settings as `make bench`), its weights are
converted to float16 (half the size; the dev metric is measured again after the
conversion and must not move), and it is written to seqcli/defaults/NAME with the
training data and its license recorded in the manifest.

wnut17-en reads context features from a forward and a backward char-LM (1×128 LSTMs,
20 minutes each) trained first on `context_text`: IMDB train reviews, the CoNLL-2003
and WNUT-17 training sentences (without labels) and Multi30k's English train captions,
shuffled by document. `--lms FORWARD BACKWARD` takes two such char-LMs from the user's
store instead of training them. It also reads how often each word is written with a
capital (`--case-text`) in that text and IMDB's unlabelled reviews (`case_text`).

sentiment-en trains on IMDB and SST-2 together: their lines joined into one train
and one dev file under JOINED (SST-2's labels 0/1 read as neg/pos), starting from an
encoder pretrained first on their unlabelled text (`train_sentiment_lm`; kept in the
user's store as sentiment-lm, which `--lms sentiment-lm` takes instead of training
it again). Its bag of n-grams and its temperature are fitted by the training
itself; after the conversion to float16, `python scripts/calibrate.py sentiment-en`
fits the temperature again on the shipped weights.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
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
from seqcli.translator import config as translator_config  # noqa: E402

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


def glove() -> str:
    return shared("vectors", "glove.6B.50d.txt.gz")


# sentiment-en's data: IMDB's and SST-2's lines joined into one file per split, in
# the system's temporary folder (never the project), a fixed place: the model's
# manifest names its dev file, and scripts/calibrate.py reads it there
JOINED = Path(tempfile.gettempdir()) / "seqcli-sentiment"
SST2_LABELS = {"0": "neg", "1": "pos"}


def sst2_lines(path: Path) -> list[str]:
    """SST-2's label<TAB>text lines with 0/1 read as neg/pos (IMDB's labels)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        label, _, text = line.partition("\t")
        out.append(f"{SST2_LABELS[label]}\t{text}")
    return out


def sst2_dev() -> str:
    """SST-2 dev with IMDB's label names, as a file."""
    JOINED.mkdir(exist_ok=True)
    path = JOINED / "sst2-dev-neg-pos.txt"
    lines = sst2_lines(ROOT / shared("corpora", "sst2", "dev.txt"))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def joined(split: str, sst2: int | None = None) -> str:
    """IMDB's and SST-2's lines of `split` in one file; `sst2`: that many of SST-2's,
    a seeded random sample (its 67,349 phrases outnumber IMDB's 22,500 reviews)."""
    imdb = (ROOT / shared("corpora", "imdb", f"{split}.txt")).read_text("utf-8")
    phrases = sst2_lines(ROOT / shared("corpora", "sst2", f"{split}.txt"))
    if sst2 is not None and sst2 < len(phrases):
        phrases = random.Random(1).sample(phrases, sst2)
    JOINED.mkdir(exist_ok=True)
    path = JOINED / f"imdb+sst2-{split}{'' if sst2 is None else f'-{sst2}'}.txt"
    path.write_text("\n".join(imdb.splitlines() + phrases) + "\n", encoding="utf-8")
    return str(path)


def shakespeare_dev() -> str:
    """The last 5% of Tiny Shakespeare's train part, as a file (the dev run's dev)."""
    text = Path(shared("corpora", "shakespeare", "train.txt")).read_text("utf-8")
    path = Path(tempfile.mkdtemp()) / "dev.txt"
    path.write_text(text[int(len(text) * 0.95) :], encoding="utf-8")
    return str(path)


# each built-in: its kind (seqcli.kinds), the data its recipe trains on and how
# seqcli eval scores it (`train_on`, `score_on`: the recipe's keywords), the figures
# the README reports (`report`: manifest name -> the metric of seqcli eval)
MODELS = {
    "charlm": {
        "kind": "charlm",
        "train_on": lambda: {"paths": [shared("corpora", "shakespeare", "train.txt")]},
        "score_on": lambda: {"files": [shakespeare_dev()]},
        "report": {"loss": "loss", "bpc": "bpc", "perplexity": "perplexity"},
        "name": "shakespeare",
        "training": charlm_config.TRAINING,
        "data": {
            "corpus": "Tiny Shakespeare, train part (first 90% of the char-rnn text)",
            "license": "public domain text",
            "dev": "the last 5% of that train part (its dev run held it out)",
        },
        "time_budget": 600,
    },
    "tagger": {
        "kind": "tagger",
        "train_on": lambda: {
            "path": shared("corpora", "conll2003", "train.txt"),
            "dev_path": shared("corpora", "conll2003", "dev.txt"),
            "vectors": glove(),
        },
        "score_on": lambda: {"files": [shared("corpora", "conll2003", "dev.txt")]},
        "report": {k: k for k in ("precision", "recall", "f1", "per_type")},
        "name": "conll-en",
        "training": tagger_config.TRAINING,
        # text typed without capitals (bench/README.md, robustness)
        "config": {"lower_copies": True, "caseless": True},
        "data": {
            "corpus": "CoNLL-2003 English NER, eng.train (Reuters news, IOB1)",
            "license": "CoNLL-2003 / Reuters RCV1: research use",
            "dev": "CoNLL-2003 eng.testa (dev) for model selection",
            "vectors": "GloVe 6B 50d (PDDL 1.0), rows of the model's vocabulary",
        },
        "time_budget": 1800,
    },
    "wnut17": {
        "kind": "tagger",
        "train_on": lambda: {
            "path": shared("corpora", "wnut17", "train.txt"),
            "dev_path": shared("corpora", "wnut17", "dev.txt"),
            "vectors": glove(),
        },
        "score_on": lambda: {"files": [shared("corpora", "wnut17", "dev.txt")]},
        "report": {k: k for k in ("precision", "recall", "f1", "per_type")},
        "name": "wnut17-en",
        "training": tagger_config.TRAINING,
        "config": {"lower_copies": True, "caseless": True},
        # each word's capitalised share, for text typed without capitals: the
        # lower-cased gap 2.2 and 4.9 points against 5.6 and 5.5 (bench/README.md)
        "case_text": True,
        "data": {
            "corpus": "WNUT-17 emerging entities, train (English tweets, Reddit, "
            "YouTube comments, Stack Overflow; IOB2, six types)",
            "license": "WNUT-17: CC-BY 4.0",
            "dev": "WNUT-17 dev for model selection",
            "vectors": "GloVe 6B 50d (PDDL 1.0), rows of the model's vocabulary",
        },
        "time_budget": 900,
        # on WNUT-17 they gain dev and check-slice F1 on three seeds; on CoNLL-2003
        # little (README), where they would cost half the tagging speed
        "context_lms": True,
    },
    "translator": {
        "kind": "translator",
        "config": {"src_lang": "en", "tgt_lang": "de"},
        "train_on": lambda: {
            "src": shared("corpora", "multi30k", "train.en"),
            "tgt": shared("corpora", "multi30k", "train.de"),
            "dev_src": shared("corpora", "multi30k", "val.en"),
            "dev_tgt": shared("corpora", "multi30k", "val.de"),
            "src_vectors": glove(),
        },
        "score_on": lambda: {
            "files": [],
            "src": shared("corpora", "multi30k", "val.en"),
            "tgt": shared("corpora", "multi30k", "val.de"),
        },
        "report": {"val_bleu_beam5": "bleu", "val_chrf_beam5": "chrf"},
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
        "kind": "classifier",
        "train_on": lambda: {
            "path": joined("train"),
            "dev_path": joined("dev"),
            "vectors": glove(),
        },
        "score_on": lambda: {"files": [joined("dev")]},
        # and each corpus's dev apart: the README reports both
        "score_apart": lambda: {
            "imdb_dev": [shared("corpora", "imdb", "dev.txt")],
            "sst2_dev": [sst2_dev()],
        },
        "report": {"accuracy": "accuracy", "macro_f1": "macro_f1"},
        "name": "sentiment-en",
        "training": classifier_config.TRAINING,
        "data": {
            "corpus": "IMDB Large Movie Review Dataset v1.0, train split less dev "
            "(22,500 reviews; Maas et al. 2011) and SST-2 train (67,349 sentences "
            "and phrases of Rotten Tomatoes snippets, the Stanford Sentiment "
            "Treebank, Socher et al. 2013), together",
            "license": "IMDb user reviews: research use (cite Maas et al., ACL 2011); "
            "SST-2: no license stated, research use (cite Socher et al., EMNLP 2013)",
            "dev": "IMDB: a seeded random 10% of the original train split (2,500 "
            "reviews); SST-2 dev (872 sentences); together, for model selection",
            "vectors": "GloVe 6B 50d (PDDL 1.0), rows of the model's vocabulary",
        },
        "time_budget": 1200,
        # its encoder pretrained first (see train_sentiment_lm; bench/README.md),
        # the encoder's 30,000 commonest words of its 50,000: the built-ins' 40 MiB
        "pretrained_lm": True,
        # trained on 400 tokens of a review, the default before 200
        "config": {"max_vocab": 30000, "max_tokens": 400},
        # dev every 350 steps: an epoch of the joined data is about 2,800; patience
        # 3 stopped one seed at step 2,450 with IMDB dev at 87.6 (bench/README).
        # Seed 2 is the shipped run's (seed 1, patience 3: bench/README as well)
        "settings": {"eval_every": 350, "patience": 8, "seed": 2},
    },
}


# the context char-LMs: their settings (1x256 tags better, +2.9 dev F1 on WNUT-17
# against +1.5, but at 19,000 tokens/s against 33,000), and what their text is
CONTEXT_LM = {"hidden": 128, "layers": 1, "batch_size": 64}
CONTEXT_LM_SECONDS = 1200
CONTEXT_DATA = (
    "IMDB train reviews (research use), CoNLL-2003 eng.train and WNUT-17 train "
    "sentences without labels, Multi30k train.en (non-commercial research and "
    "education), shuffled by document (seed 1)"
)


def context_text() -> str:
    """The context char-LMs' training text: `context_docs` joined."""
    return "".join(context_docs())


def context_docs() -> list[str]:
    """The context char-LMs' training documents (an IMDB review, a CoNLL-2003
    article, 20 WNUT-17 sentences, 50 Multi30k captions) in a seeded random order,
    so that every stream of the char-LM's batches sees every source; labelled
    corpora as their tokens joined by spaces, as the tagger reads them."""
    from seqcli.tagger.conll import read_conll

    def sentences(path: str, every: int | None = None) -> list[str]:
        text = Path(path).read_text(encoding="utf-8")
        doc = read_conll(text.splitlines(), source=path, label_column=-1)
        found, current = [], []
        for s in doc.sentences:
            if s.tokens and s.tokens[0] == "-DOCSTART-":
                if current:
                    found.append("".join(current))
                    current = []
                continue
            current.append(" ".join(s.tokens) + "\n")
            if every and len(current) >= every:
                found.append("".join(current))
                current = []
        return found + ["".join(current)] if current else found

    docs = []
    with open(shared("corpora", "imdb", "train.txt"), encoding="utf-8") as f:
        for line in f:
            review = line.rstrip("\n").split("\t", 1)[1]
            docs.append(re.sub(r"\s*<br\s*/?>\s*", "\n", review).strip() + "\n")
    docs += sentences(shared("corpora", "conll2003", "train.txt"))
    docs += sentences(shared("corpora", "wnut17", "train.txt"), every=20)
    captions = Path(shared("corpora", "multi30k", "train.en")).read_text("utf-8")
    lines = captions.splitlines(keepends=True)
    docs += ["".join(lines[i : i + 50]) for i in range(0, len(lines), 50)]
    random.Random(1).shuffle(docs)
    return docs


CASE_DATA = (
    "each word's capitalised share counted in the context char-LMs' text and IMDB's "
    "49,241 unlabelled reviews (research use)"
)


def case_text() -> str:
    """wnut17-en's `--case-text`: the context char-LMs' text and IMDB's unlabelled
    reviews, written to JOINED."""
    JOINED.mkdir(exist_ok=True)
    path = JOINED / "case-text.txt"
    with open(shared("corpora", "imdb", "unsup.txt"), encoding="utf-8") as f:
        reviews = [re.sub(r"\s*<br\s*/?>\s*", "\n", line) for line in f]
    path.write_text(context_text() + "".join(reviews), "utf-8")
    return str(path)


def train_context_lms(
    store: Store, text: str | None = None, prefix: str = "lm"
) -> tuple[str, str]:
    """Train the forward and backward context char-LMs into `store`, as
    PREFIX-forward and PREFIX-backward, on `text` (default: `context_text()`)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "context.txt"
        path.write_text(text or context_text(), encoding="utf-8")
        for direction in ("forward", "backward"):
            charlm_recipe.train(
                [str(path)],
                name=f"{prefix}-{direction}",
                store=store,
                device=CPU,
                settings=replace(
                    charlm_config.TRAINING,
                    time_budget=CONTEXT_LM_SECONDS,
                    eval_every=1000,
                ),
                config=charlm_config.CharLMConfig(**CONTEXT_LM, direction=direction),
            )
    return f"{prefix}-forward", f"{prefix}-backward"


# the pretrained encoder of sentiment-en: word vectors (fastText skip-gram, 100
# dimensions, 5 epochs) and then the encoder itself as a language model in both
# directions, on the same text: IMDB's unlabelled reviews and its train reviews and
# SST-2's train phrases (their labels unread; no dev text of either)
SENTIMENT_LM_SECONDS = 1500
SENTIMENT_LM_DATA = (
    "IMDB unlabelled reviews (49,241) and train reviews, SST-2 train phrases, "
    "without labels (research use); word vectors trained on the same text"
)


def sentiment_text() -> Path:
    """The pretraining text, one text per line."""
    JOINED.mkdir(exist_ok=True)
    path = JOINED / "pretrain.txt"
    parts = [
        Path(shared("corpora", "imdb", name)).read_text("utf-8")
        for name in ("unsup.txt", "train.txt")
    ]
    parts.append("\n".join(sst2_lines(Path(shared("corpora", "sst2", "train.txt")))))
    path.write_text("\n".join(p.strip("\n") for p in parts) + "\n", "utf-8")
    return path


FASTTEXT_SKIPGRAM = """
import sys, fasttext
model = fasttext.train_unsupervised(
    sys.argv[1], model="skipgram", dim=100, epoch=5, minCount=3, minn=0, maxn=0,
    thread=2, verbose=0,
)
with open(sys.argv[2], "w", encoding="utf-8") as f:
    f.write(f"{len(model.words)} 100\\n")
    for word in model.words:
        row = " ".join(f"{x:.5f}" for x in model.get_word_vector(word))
        f.write(f"{word} {row}\\n")
"""


def sentiment_vectors(text: Path) -> Path:
    """fastText skip-gram vectors of the text's words (keys as the classifier reads
    them), in word2vec text format."""
    from seqcli.classifier.data import Codec
    from seqcli.classifier.pretrain import read_texts
    from seqcli.vocab import Vocab

    texts = read_texts(str(text)).texts
    keys = Codec(Vocab([]), [], "en", 400).keys(texts)
    words = JOINED / "pretrain-keys.txt"
    words.write_text("".join(" ".join(k) + "\n" for k in keys), "utf-8")
    path = JOINED / "vectors-d100.vec"
    # in a fresh interpreter: run in this process (torch imported) its training
    # diverged ("Encountered NaN") three times in three, and never alone
    subprocess.run(
        [sys.executable, "-c", FASTTEXT_SKIPGRAM, str(words), str(path)], check=True
    )
    return path


def train_sentiment_lm(store: Store) -> str:
    """Pretrain sentiment-en's encoder into `store` (a run of 33 minutes: the text's
    words, fastText's vectors, then SENTIMENT_LM_SECONDS of pretraining)."""
    text = sentiment_text()
    classifier_recipe.train(
        str(text),
        pretrain=True,
        vectors=str(sentiment_vectors(text)),
        dev_fraction=0.01,
        name="sentiment-lm",
        store=store,
        device=CPU,
        settings=replace(
            classifier_config.TRAINING,
            time_budget=SENTIMENT_LM_SECONDS,
            eval_every=500,
        ),
        config=classifier_config.ClassifierConfig(),
    )
    return "sentiment-lm"


def train(
    key: str,
    store: Store,
    name: str,
    seconds: float | None,
    lms: tuple[str, ...] = (),
    with_dev: str | None = None,
) -> None:
    spec = MODELS[key]
    kind = kinds.get(spec["kind"])
    settings = replace(
        spec["training"],
        **{"eval_every": 0, **spec.get("settings", {}), "time_budget": seconds},
    )
    data = spec["train_on"]()
    if spec.get("pretrained_lm"):
        data.pop("vectors")  # the encoder's embeddings
        data["lm"] = lms[0]
    elif lms:
        data["lms"] = lms
    if spec.get("case_text"):
        data["case_text"] = case_text()
    kind.module("recipe").train(
        **data,
        config=kind.config_class()(**spec.get("config", {})),
        name=name,
        store=store,
        device=CPU,
        settings=settings,
        with_dev=with_dev,
    )


def measure(key: str, model, manifest: dict) -> dict:
    """The quality figures the README reports for a built-in (seqcli eval's)."""
    spec = MODELS[key]
    recipe = kinds.get(spec["kind"]).module("recipe")
    metrics = recipe.evaluate(model, manifest, **spec["score_on"]())
    found = {name: metrics[metric] for name, metric in spec["report"].items()}
    for corpus, files in spec.get("score_apart", dict)().items():
        metrics = recipe.evaluate(model, manifest, files=files)
        found[corpus] = {name: metrics[m] for name, m in spec["report"].items()}
    return found


def export(key: str, store: Store, name: str) -> None:
    """Copy a trained model into the package with float16 weights, re-measured (on
    dev; a model trained with its dev data keeps the figures of its dev run)."""
    spec = MODELS[key]
    manifest, tensors = store.load(name, spec["kind"])
    dev_run = manifest.get("training", {}).get("with_dev")
    half = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
    results = {}
    for label, weights in (("float32", tensors), ("float16", half)):
        model = kinds.build(manifest)
        model.load_state_dict(
            {k: v.float() if v.is_floating_point() else v for k, v in weights.items()}
        )
        results[label] = measure(key, model.eval(), manifest)
        print(f"{spec['name']} ({label}): {results[label]}")
    manifest = {
        **manifest,
        "dev_metrics_during_training": manifest.get("metrics"),
        "metrics": results["float16"],
        "metrics_float32": results["float32"],
        "data": spec["data"],
        "weights_dtype": "float16",
    }
    if dev_run:  # dev is training data here: its figures would flatter the model
        run = store.manifest(dev_run["model"])
        manifest |= {
            "metrics": {},
            "metrics_float32": {},
            "seen_dev_metrics": results["float16"],
            "dev_run_metrics": run["metrics"],
            "data": {**spec["data"], "dev": spec["data"]["dev"] + " (trained on too)"},
        }
    if "context" in manifest:
        manifest["data"] = {**manifest["data"], "context_lms": CONTEXT_DATA}
    if manifest["config"].get("capital_prior"):
        manifest["data"] = {**manifest["data"], "case_text": CASE_DATA}
    if manifest.get("training", {}).get("lm"):
        lm = store.manifest(manifest["training"]["lm"])
        manifest["data"] = {
            **manifest["data"],
            "vectors": None,
            "pretrained_encoder": SENTIMENT_LM_DATA,
            "pretrained_encoder_dev": lm["metrics"],
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
    parser.add_argument(
        "--with-dev",
        metavar="NAME",
        help="train on the training and dev data together for the epochs NAME (the "
        "recipe's run with dev, e.g. the shipped model) took to its best checkpoint",
    )
    parser.add_argument(
        "--lms",
        nargs="+",
        metavar="NAME",
        help="a tagger's context char-LMs (forward, backward) or sentiment-en's "
        "pretrained encoder, from the user's store (default: train them)",
    )
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    args = parser.parse_args()
    os.chdir(ROOT)
    torch.set_num_threads(args.threads)
    if args.from_store:
        export(args.kind, Store(builtin=None), args.from_store)
        return
    seconds = args.time_budget or MODELS[args.kind]["time_budget"]
    if args.with_dev:
        seconds = args.time_budget  # the dev run's epochs decide
    spec = MODELS[args.kind]
    context, pretrained = spec.get("context_lms"), spec.get("pretrained_lm")
    if args.lms and len(args.lms) != (2 if context else 1 if pretrained else 0):
        parser.error(f"--lms: not the LMs {args.kind} takes")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp), builtin=None)
        lms: tuple[str, ...] = ()
        if args.lms:
            for lm in args.lms:
                manifest, tensors = Store().load(lm)
                store.save(lm, tensors, manifest)
            lms = tuple(args.lms)
        elif context:
            lms = train_context_lms(store)
        elif pretrained:
            lms = (train_sentiment_lm(store),)
            # kept in the user's store too: bench/classifier.py --lm starts from it
            manifest, tensors = store.load(lms[0])
            Store(builtin=None).save(lms[0], tensors, manifest)
        if args.with_dev:
            manifest, tensors = Store().load(args.with_dev)
            store.save(args.with_dev, tensors, manifest)
        train(args.kind, store, "build", seconds, lms, args.with_dev)
        export(args.kind, store, "build")


if __name__ == "__main__":
    main()
