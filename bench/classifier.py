"""Classifier benchmarks: seqcli, fastText, TF-IDF + logistic regression and NBSVM.

Dev accuracy, macro-F1, training time and prediction speed of seqcli's text
classifier and of the classical baselines, side by side in one run.

    python bench/classifier.py [--quick] [--sst2-seconds 300] [--imdb-seconds S]
    python bench/classifier.py --quick --subset 2000 --sst2-seconds 20 --out smoke
    python bench/classifier.py --baselines-only   # no seqcli: a few minutes

Run it on an otherwise idle machine: with other processes busy, torch's two intra-op
threads wait on each other and seqcli's batches become many times slower (its dev
evaluations during training too).

Corpora: ../shared/corpora/{sst2,imdb}/{train,dev}.txt (label<TAB>text); quality is
measured on dev only. All contenders run in this process, one after the other, on
the same texts; torch uses --threads (2) intra-op threads and fastText trains with
thread=2.

1. fastText 0.9.3: `fasttext.train_supervised(file, wordNgrams=2, epoch=E, lr=L,
   thread=2)` on `__label__X text` lines, text lower-cased; the best of epoch
   5/10/20 x lr 0.1/0.5/1.0 by dev accuracy (--quick: the documented best only,
   IMDB epoch 5 lr 0.5, SST-2 epoch 5 lr 1.0). Other settings are fastText's own.
2. scikit-learn: `TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
   lowercase=True)` fitted on train + `LogisticRegression(C=C, max_iter=1000)`, C
   the best of 0.5/1/2/4/8/16 by dev accuracy (--quick: 4).
3. NBSVM and NB-LR (Wang & Manning 2012, "Baselines and Bigrams"): binary word
   uni+bigram features (CountVectorizer(ngram_range=(1, 2), binary=True), lower
   case, words and single punctuation marks as tokens, <br /> as a space) scaled by
   the log-count ratio r = log((p/|p|_1) / (q/|q|_1)), p and q the counts over the
   positive and negative train texts plus alpha 1; then `LinearSVC(C)` with the
   paper's interpolation w' = (1 - beta) mean|w| + beta w, beta 0.25 (the bias
   times beta), C the best of 0.003/0.01/0.03/0.1/0.3/1 by dev accuracy (--quick:
   1, the paper's); and `LogisticRegression(C, max_iter=1000)` on the same
   features, C the best of 0.25/1/4/16/64 (--quick: 16). Binary tasks only, as in
   the paper.
4. seqcli: on SST-2 a classifier trained by seqcli's recipe (default
   ClassifierConfig and TRAINING, GloVe 6B 50d, --sst2-seconds, dev evaluation
   every 500 steps; dev picks the checkpoint, as in `seqcli train classifier`; with
   --lm NAME, from that pretrained encoder instead of the vectors; --set KEY=VALUE
   changes a setting from its default). On IMDB the built-in model sentiment-en
   (nothing is trained: that takes 20 minutes), or with --imdb-seconds S one
   trained by the recipe for S seconds (dev evaluation once an epoch, the recipe's
   default). Beside a model trained here, the built-in (trained on IMDB and SST-2
   together) is scored on the same dev. Dev scores from
   seqcli.classifier.recipe.evaluate.

Training seconds are wall-clock seconds of the chosen setting, reading the data
included (for seqcli also the word vectors and spaCy tokenisation). Prediction speed
is timed side by side (bench.common.best_times: the tools take turns, each round an
untimed call and a timed one) on each corpus's dev texts, raw text in, labels out:
fastText's `model.predict(list of lower-cased texts)`, the vectorizer's transform +
`predict`, and seqcli.classifier.decode.classify_texts (spaCy tokenizer, batches of
64). Words are whitespace-separated words of the raw texts, the same count for all.
Where the built-in model is missing, seqcli's IMDB speed is that of the SST-2 model
(the same architecture, the vocabulary aside) and its quality is not measured.

Results go to bench/results/classifier.json (--out NAME: bench/results/NAME.json);
with --baselines-only (1-3 only) to bench/results/classifier-baselines.json. Each
record names the CPU (its model and the flags that pick kernels).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import best_times, cpu, overrides, write  # noqa: E402
from seqcli import kinds  # noqa: E402
from seqcli.classifier import recipe  # noqa: E402
from seqcli.classifier.config import TRAINING, ClassifierConfig  # noqa: E402
from seqcli.classifier.data import Codec, Labelled, read_labelled  # noqa: E402
from seqcli.classifier.decode import classify_texts  # noqa: E402
from seqcli.errors import SeqcliError  # noqa: E402
from seqcli.store import Store  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"
VECTORS = ROOT.parent / "shared" / "vectors" / "glove.6B.50d.txt.gz"
BUILTIN = "sentiment-en"
CPU = torch.device("cpu")

FASTTEXT_GRID = [(e, lr) for e in (5, 10, 20) for lr in (0.1, 0.5, 1.0)]
FASTTEXT_QUICK = {"imdb": (5, 0.5), "sst2": (5, 1.0)}  # benchmarks.md's best
SKLEARN_C = [0.5, 1, 2, 4, 8, 16]
SKLEARN_QUICK = [4]
# IMDB: `seqcli train classifier`'s default, dev once an epoch (704 steps): an
# evaluation of its 2,500 dev reviews takes about 40 s
EVAL_EVERY = {"sst2": 500, "imdb": 0}
# vs_KEY names of scikit-learn's tools in seqcli's record (TF-IDF's as before)
SHORT = {
    "TF-IDF + LogisticRegression": "scikit_learn",
    "NBSVM (LinearSVC)": "nbsvm",
    "NB-LR": "nb_lr",
}


def subset(path: Path, n: int | None, folder: Path) -> Path:
    """The first n lines of a file (the file itself for None)."""
    if n is None:
        return path
    out = folder / path.parent.name / path.name
    out.parent.mkdir(parents=True, exist_ok=True)
    with path.open(encoding="utf-8") as f:
        lines = [line for _, line in zip(range(n), f, strict=False)]
    out.write_text("".join(lines), encoding="utf-8")
    return out


def words(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


def quality(gold: list[str], pred: list[str], labels: list[str]) -> dict:
    """Accuracy and macro-F1 by scikit-learn's scorers."""
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": accuracy_score(gold, pred),
        "macro_f1": f1_score(gold, pred, labels=labels, average="macro"),
    }


# --- fastText ---------------------------------------------------------------------


def fasttext_file(data: Labelled, path: Path) -> Path:
    pairs = zip(data.labels, data.texts, strict=True)
    path.write_text(
        "".join(f"__label__{y} {t.lower()}\n" for y, t in pairs), encoding="utf-8"
    )
    return path


def fasttext_predictor(model):
    # the list form (multilinePredict): fastText's fastest Python path, and the one
    # that works with NumPy 2 (the one-string form fails in fastText 0.9.3)
    def predict(texts: list[str]) -> list[str]:
        labels, _ = model.predict([t.lower() for t in texts])
        return [found[0].removeprefix("__label__") for found in labels]

    return predict


def run_fasttext(corpus, train: Labelled, dev: Labelled, labels, folder, args):
    from importlib import metadata

    import fasttext

    path = fasttext_file(train, folder / f"{corpus}.fasttext.txt")
    grid = [FASTTEXT_QUICK[corpus]] if args.quick else FASTTEXT_GRID
    tried, best, best_model = [], None, None
    search_start = time.perf_counter()
    for epoch, lr in grid:
        start = time.perf_counter()
        model = fasttext.train_supervised(
            str(path), wordNgrams=2, epoch=epoch, lr=lr, thread=2, verbose=0
        )
        seconds = time.perf_counter() - start
        found = quality(dev.labels, fasttext_predictor(model)(dev.texts), labels)
        tried.append({"epoch": epoch, "lr": lr, "train_seconds": round(seconds, 2)})
        tried[-1] |= found
        print(f"  fastText {corpus} epoch {epoch} lr {lr}: {found['accuracy']:.4f}")
        if best is None or found["accuracy"] > best["accuracy"]:
            best, best_model = tried[-1], model
        del model
    record = {
        "tool": f"fastText {metadata.version('fasttext')}",
        "corpus": corpus,
        "accuracy": best["accuracy"],
        "macro_f1": best["macro_f1"],
        "train_seconds": best["train_seconds"],
        "search_seconds": round(time.perf_counter() - search_start, 1),
        "settings": {
            "call": "fasttext.train_supervised",
            "wordNgrams": 2,
            "epoch": best["epoch"],
            "lr": best["lr"],
            "thread": 2,
            "dim": best_model.get_dimension(),
            "lowercase": True,
            "others": "fastText's defaults",
            "grid": tried,
        },
    }
    return record, fasttext_predictor(best_model)


# --- scikit-learn -----------------------------------------------------------------


def run_sklearn(corpus, train: Labelled, dev: Labelled, labels, args):
    import sklearn
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    start = time.perf_counter()
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True
    )
    x_train = vectorizer.fit_transform(train.texts)
    vectorize_seconds = time.perf_counter() - start
    x_dev = vectorizer.transform(dev.texts)
    tried, best, best_model = [], None, None
    search_start = time.perf_counter()
    for c in SKLEARN_QUICK if args.quick else SKLEARN_C:
        start = time.perf_counter()
        model = LogisticRegression(C=c, max_iter=1000).fit(x_train, train.labels)
        seconds = time.perf_counter() - start
        found = quality(dev.labels, list(model.predict(x_dev)), labels)
        iterations = int(model.n_iter_.max())
        tried.append({"C": c, "fit_seconds": round(seconds, 2)})
        tried[-1] |= {"iterations": iterations, **found}
        print(f"  sklearn {corpus} C {c}: {found['accuracy']:.4f}")
        if best is None or found["accuracy"] > best["accuracy"]:
            best, best_model = tried[-1], model
    record = {
        "tool": f"scikit-learn {sklearn.__version__} TF-IDF + LogisticRegression",
        "corpus": corpus,
        "accuracy": best["accuracy"],
        "macro_f1": best["macro_f1"],
        "train_seconds": round(vectorize_seconds + best["fit_seconds"], 2),
        "vectorize_seconds": round(vectorize_seconds, 2),
        "search_seconds": round(time.perf_counter() - search_start, 1),
        "settings": {
            "vectorizer": "TfidfVectorizer(ngram_range=(1, 2), min_df=2, "
            "sublinear_tf=True, lowercase=True)",
            "features": len(vectorizer.vocabulary_),
            "model": f"LogisticRegression(C={best['C']}, max_iter=1000)",
            "C": best["C"],
            "solver": best_model.solver,
            "grid": tried,
        },
    }

    def predict(texts: list[str]) -> list[str]:
        return list(best_model.predict(vectorizer.transform(texts)))

    return record, predict


# --- NBSVM ------------------------------------------------------------------------

NBSVM_ALPHA = 1.0  # Wang & Manning's smoothing of the feature counts
NBSVM_BETA = 0.25  # their interpolation of the SVM weights with their mean magnitude
NBSVM_SVM_C = [0.003, 0.01, 0.03, 0.1, 0.3, 1]  # the paper's C is 1
NBSVM_LR_C = [0.25, 1, 4, 16, 64]
NBSVM_QUICK = {"svm": [1], "lr": [16]}
# words and single punctuation marks (a "!" says something); IMDB's <br /> is a space
NBSVM_TOKENS = r"(?u)\w+|[^\w\s]"
BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def nb_text(text: str) -> str:
    return BREAK.sub(" ", text).lower()


def nbsvm_vectorizer():
    """NBSVM's binary word uni+bigram features (scikit-learn's CountVectorizer)."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(
        ngram_range=(1, 2),
        binary=True,
        preprocessor=nb_text,
        token_pattern=NBSVM_TOKENS,
        dtype=np.float32,
    )


def log_count_ratio(x, y, alpha: float = NBSVM_ALPHA):
    """r = log((p / |p|_1) / (q / |q|_1)), p and q the smoothed sums of the binary
    features over the positive and the negative texts (y 1 and 0)."""
    import numpy as np

    p = alpha + np.asarray(x[y == 1].sum(0)).ravel()
    q = alpha + np.asarray(x[y == 0].sum(0)).ravel()
    return np.log((p / p.sum()) / (q / q.sum()))


def run_nbsvm(corpus, train: Labelled, dev: Labelled, labels, args):
    """NBSVM and NB-LR (Wang & Manning 2012) on binary word uni+bigram features:
    [(record, predictor)] for the SVM variant and the logistic regression one."""
    import numpy as np
    import sklearn
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    if len(labels) != 2:
        raise SystemExit(f"NBSVM takes two classes; {corpus} has {len(labels)}")
    start = time.perf_counter()
    vectorizer = nbsvm_vectorizer()
    x = vectorizer.fit_transform(train.texts)
    y = (np.asarray(train.labels) == labels[1]).astype(np.int64)
    r = log_count_ratio(x, y).astype(np.float32)
    scale = sparse.diags(r)
    x_train = (x @ scale).tocsr()
    vectorize_seconds = time.perf_counter() - start

    def features(texts: list[str]):
        return (vectorizer.transform(texts) @ scale).tocsr()

    x_dev = features(dev.texts)
    found = []
    for variant in ("svm", "lr"):
        grid = (
            NBSVM_QUICK[variant]
            if args.quick
            else (NBSVM_SVM_C if variant == "svm" else NBSVM_LR_C)
        )
        tried, best, best_w = [], None, None
        search_start = time.perf_counter()
        for c in grid:
            fit_start = time.perf_counter()
            if variant == "svm":
                model = LinearSVC(C=c, max_iter=10000).fit(x_train, y)
                w, b = model.coef_.ravel(), float(model.intercept_[0])
                # w' = (1 - beta) mean|w| + beta w, the paper's interpolation; the
                # bias scales with beta, so that the score is beta (SVM score) +
                # (1 - beta) mean|w| (NB score); kept whole it costs 5 points on
                # 2,000 IMDB reviews (81.7 against 87.7 dev accuracy)
                w = (1 - NBSVM_BETA) * np.abs(w).mean() + NBSVM_BETA * w
                b *= NBSVM_BETA
            else:
                model = LogisticRegression(C=c, max_iter=1000).fit(x_train, y)
                w, b = model.coef_.ravel(), float(model.intercept_[0])
            seconds = time.perf_counter() - fit_start
            pred = np.asarray(x_dev @ w).ravel() + b > 0
            result = quality(dev.labels, [labels[int(p)] for p in pred], labels)
            tried.append({"C": c, "fit_seconds": round(seconds, 2), **result})
            print(f"  NB{variant.upper()} {corpus} C {c}: {result['accuracy']:.4f}")
            if best is None or result["accuracy"] > best["accuracy"]:
                best, best_w = tried[-1], (w, b)
        name = "NBSVM (LinearSVC)" if variant == "svm" else "NB-LR"
        model_text = (
            f"LinearSVC(C={best['C']}), w and b interpolated with beta {NBSVM_BETA}"
            if variant == "svm"
            else f"LogisticRegression(C={best['C']}, max_iter=1000)"
        )
        record = {
            "tool": f"scikit-learn {sklearn.__version__} {name}",
            "corpus": corpus,
            "accuracy": best["accuracy"],
            "macro_f1": best["macro_f1"],
            "train_seconds": round(vectorize_seconds + best["fit_seconds"], 2),
            "vectorize_seconds": round(vectorize_seconds, 2),
            "search_seconds": round(time.perf_counter() - search_start, 1),
            "settings": {
                "paper": "Wang & Manning 2012, NBSVM-bi / NB-LR",
                "vectorizer": "CountVectorizer(ngram_range=(1, 2), binary=True, "
                f"lowercase, <br /> as space, token_pattern={NBSVM_TOKENS!r})",
                "features": len(vectorizer.vocabulary_),
                "log_count_ratio_alpha": NBSVM_ALPHA,
                "model": model_text,
                "C": best["C"],
                "grid": tried,
            },
        }
        if variant == "svm":
            record["settings"]["beta"] = NBSVM_BETA

        def predict(texts: list[str], wb=best_w) -> list[str]:
            scores = np.asarray(features(texts) @ wb[0]).ravel() + wb[1]
            return [labels[int(v > 0)] for v in scores]

        found.append((record, predict))
    return found


# --- seqcli -----------------------------------------------------------------------


def seqcli_predictor(model, manifest):
    codec = Codec.from_manifest(manifest)

    def predict(texts: list[str]) -> list[str]:
        return [r["label"] for r in classify_texts(model, codec, texts)]

    return predict


def train_seqcli(corpus, train_path, dev_path, store, seconds, lm=None, changes=()):
    """A classifier trained by seqcli's recipe: (record, predictor or None); with
    `lm`, from that pretrained encoder of the user's store (copied into `store`);
    `changes`: --set KEY=VALUE pairs, settings changed from the defaults."""
    config, training = overrides(changes, ClassifierConfig(), TRAINING)
    settings = replace(
        TRAINING, time_budget=seconds, eval_every=EVAL_EVERY[corpus], **training
    )
    source = {"vectors": str(VECTORS)}
    if lm:
        if not store.has(lm):
            shutil.copytree(Store().path(lm), store.root / lm)
        source = {"lm": lm}
    start = time.perf_counter()
    pos = recipe.train(
        str(train_path),
        name=corpus,
        store=store,
        device=CPU,
        settings=settings,
        config=ClassifierConfig(**config),
        dev_path=str(dev_path),
        **source,
    )
    wall = time.perf_counter() - start
    record = {
        "tool": "seqcli",
        "corpus": corpus,
        "model": f"trained here for {seconds:g} s"
        + (f" from the pretrained encoder {lm}" if lm else "")
        + "".join(f", --set {pair}" for pair in changes),
        "train_seconds": round(wall, 1),
        "loop_seconds": round(pos.elapsed, 1),
        "steps": pos.global_step,
        "stopped": pos.stopped,
        "train_tokens_per_s": round(pos.tokens / max(pos.elapsed, 1e-9)),
    }
    try:
        model, manifest = kinds.load(store, corpus, "classifier", CPU)
    except SeqcliError as e:  # e.g. no dev evaluation was reached
        record |= {"accuracy": None, "macro_f1": None, "error": str(e)}
        return record, None
    record |= dev_scores(model, manifest, dev_path)
    record["epochs"] = manifest["history"][-1]["epoch"]
    record["settings"] = {
        "config": manifest["config"],
        "training": manifest["training"]["settings"],
        "vectors": None if lm else VECTORS.name,
        "lm": lm and pretrained_record(store.manifest(lm)),
        "history": manifest["history"],
    }
    return record, seqcli_predictor(model, manifest)


def pretrained_record(manifest) -> dict:
    """What a record says of the pretrained encoder a classifier started from."""
    training = manifest["training"]
    return {
        "name": manifest["name"],
        "pretrained": manifest["pretrained"],
        "data": training.get("data"),
        "vectors": training.get("vectors"),
        "seconds": training.get("seconds"),
        "steps": training.get("steps"),
        "dev": manifest["metrics"],
    }


def builtin_seqcli(corpus, dev_path, folder):
    """The built-in model on a corpus's dev: (record, predictor or None if missing)."""
    # an empty user store: only a built-in model of that name is found
    store = Store(folder / "no-user-models")
    record = {"tool": "seqcli", "corpus": corpus, "model": f"built-in {BUILTIN}"}
    try:
        model, manifest = kinds.load(store, BUILTIN, "classifier", CPU)
    except SeqcliError as e:
        record |= {"accuracy": None, "macro_f1": None, "train_seconds": None}
        record["skipped"] = f"built-in model missing: {e}"
        return record, None
    # SST-2's labels are 0 and 1; the built-in says neg and pos
    names = dict(zip(("0", "1"), manifest.tokens("labels"), strict=False))
    gold = read_labelled(str(dev_path))
    renamed = corpus == "sst2" and set(gold.labels) <= set(names)
    if renamed:
        dev_path = folder / "sst2-dev-named.txt"
        dev_path.write_text(
            "".join(
                f"{names[label]}\t{text}\n"
                for label, text in zip(gold.labels, gold.texts, strict=True)
            ),
            encoding="utf-8",
        )
    record |= dev_scores(model, manifest, dev_path)
    training = manifest.get("training", {})
    record |= {
        "train_seconds": training.get("seconds"),
        "builtin": {
            "name": manifest["name"],
            "metrics": manifest.get("metrics"),
            "created": manifest.get("created"),
            "versions": manifest.get("versions"),
            "steps": training.get("steps"),
        },
        "settings": {
            "config": manifest["config"],
            "training": training.get("settings"),
        },
    }
    predict = seqcli_predictor(model, manifest)
    if renamed:  # its labels as the corpus has them
        number = {name: n for n, name in names.items()}
        return record, lambda texts: [number[x] for x in predict(texts)]
    return record, predict


def dev_scores(model, manifest, dev_path) -> dict:
    found = recipe.evaluate(model, manifest, files=[str(dev_path)])
    return {"accuracy": found["accuracy"], "macro_f1": found["macro_f1"]}


# --- side by side -----------------------------------------------------------------


def speeds(records: list[dict], predictors: list, dev: Labelled, labels, rounds: int):
    """Times each predictor on the dev texts in turns; adds words/s to its record
    and, to seqcli's, vs_TOOL (seqcli's words/s over TOOL's) and check_accuracy
    (its accuracy as classify_texts labels the texts, by scikit-learn's scorer)."""
    texts, n_words = dev.texts, words(dev.texts)
    outputs: dict[int, list[str]] = {}
    fns = {}
    for i, fn in enumerate(predictors):
        if fn is not None:
            fns[i] = lambda fn=fn, i=i: outputs.__setitem__(i, fn(texts))
    seconds = best_times(fns, repeat=rounds, number=1)
    for i, s in seconds.items():
        records[i] |= {
            "predict_words_per_s": round(n_words / s),
            "predict_seconds": round(s, 3),
            "predict_texts": len(texts),
            "predict_words": n_words,
        }
    for i, record in enumerate(records):
        if record["tool"] != "seqcli" or i not in seconds:
            continue
        if "speed_model" not in record:
            record["check_accuracy"] = quality(dev.labels, outputs[i], labels)[
                "accuracy"
            ]
        for j, other in enumerate(records):
            if j != i and j in seconds:
                key = "vs_" + SHORT.get(
                    other["tool"].split(" ", 2)[-1],
                    other["tool"].split()[0].lower().replace("-", "_"),
                )
                record[key] = round(seconds[j] / seconds[i], 3)


def run_corpus(corpus, args, folder, sst2_seqcli):
    """The records of one corpus, and seqcli's predictor for it (or None)."""
    train_path = subset(CORPORA / corpus / "train.txt", args.subset, folder)
    dev_path = subset(CORPORA / corpus / "dev.txt", args.subset, folder)
    train, dev = read_labelled(str(train_path)), read_labelled(str(dev_path))
    labels = sorted(set(train.labels))
    print(f"== {corpus}: {len(train.texts):,} train, {len(dev.texts):,} dev texts")
    fasttext_record, fasttext_fn = run_fasttext(
        corpus, train, dev, labels, folder, args
    )
    sklearn_record, sklearn_fn = run_sklearn(corpus, train, dev, labels, args)
    nbsvm = run_nbsvm(corpus, train, dev, labels, args)
    records = [fasttext_record, sklearn_record] + [r for r, _ in nbsvm]
    predictors = [fasttext_fn, sklearn_fn] + [fn for _, fn in nbsvm]
    if args.baselines_only:
        speeds(records, predictors, dev, labels, args.rounds)
        for record in records:
            record["train_texts"] = len(train.texts)
            record["dev_texts"] = len(dev.texts)
        return records, None
    store = Store(folder / "store", builtin=None)
    seconds = args.sst2_seconds if corpus == "sst2" else args.imdb_seconds
    builtin, builtin_fn = builtin_seqcli(corpus, dev_path, folder)
    if seconds:
        seqcli_record, seqcli_fn = train_seqcli(
            corpus, train_path, dev_path, store, seconds, args.lm, args.set
        )
        # the built-in (trained on IMDB and SST-2 together) beside it
        if builtin_fn is not None:
            records.append(builtin)
            predictors.append(builtin_fn)
    else:
        seqcli_record, seqcli_fn = builtin, builtin_fn
        if seqcli_fn is None and sst2_seqcli is not None:
            seqcli_fn = sst2_seqcli
            seqcli_record["speed_model"] = (
                "the SST-2 model trained above (same architecture): speed only"
            )
    records.append(seqcli_record)
    speeds(records, predictors + [seqcli_fn], dev, labels, args.rounds)
    for record in records:
        record["train_texts"], record["dev_texts"] = len(train.texts), len(dev.texts)
    return records, seqcli_fn if corpus == "sst2" else None


def table(records: list[dict]) -> str:
    def num(value, fmt):
        return "-" if value is None else format(value, fmt)

    rows = [("tool", "corpus", "accuracy", "macro-F1", "train s", "words/s")]
    for r in records:
        rows.append(
            (
                r["tool"] + (f" ({r['model']})" if r.get("model") else ""),
                r["corpus"],
                num(r.get("accuracy"), ".4f"),
                num(r.get("macro_f1"), ".4f"),
                num(r.get("train_seconds"), ".1f"),
                num(r.get("predict_words_per_s"), ",d"),
            )
        )
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if k < 2 else cell.rjust(w)
            for k, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="No search: fastText's and C's documented best settings only.",
    )
    parser.add_argument(
        "--baselines-only",
        action="store_true",
        help="fastText, TF-IDF + LR, NBSVM and NB-LR only, no seqcli (minutes, not "
        "the half hour of seqcli's training); writes bench/results/"
        "classifier-baselines.json unless --out says otherwise.",
    )
    parser.add_argument(
        "--sst2-seconds",
        type=float,
        default=300.0,
        metavar="S",
        help="seqcli's training budget on SST-2 (default: 300).",
    )
    parser.add_argument(
        "--imdb-seconds",
        type=float,
        metavar="S",
        help="Train seqcli on IMDB for this long instead of scoring the built-in "
        f"{BUILTIN}.",
    )
    parser.add_argument(
        "--lm",
        metavar="NAME",
        help="Train seqcli's classifiers from this pretrained encoder of the store "
        "(`seqcli train classifier --pretrain`) instead of GloVe.",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="A classifier or training setting of seqcli's runs changed from its "
        "default (repeatable), e.g. max_tokens=200.",
    )
    parser.add_argument(
        "--corpus",
        nargs="+",
        choices=("sst2", "imdb"),
        default=["sst2", "imdb"],
        help="The corpora (default: both; SST-2 runs first).",
    )
    parser.add_argument(
        "--subset",
        type=int,
        metavar="N",
        help="Use the first N lines of each train and dev file.",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        metavar="N",
        help="Rounds of the speed measurement (default: 3; with --quick 1).",
    )
    parser.add_argument(
        "--threads", type=int, default=2, help="torch intra-op threads (default: 2)."
    )
    parser.add_argument(
        "--out",
        metavar="NAME",
        help="Write bench/results/NAME.json (default: classifier, or "
        "classifier-baselines with --baselines-only).",
    )
    args = parser.parse_args()
    args.out = args.out or (
        "classifier-baselines" if args.baselines_only else "classifier"
    )
    args.rounds = args.rounds or (1 if args.quick else 3)
    torch.set_num_threads(args.threads)
    for corpus in args.corpus:
        if not (CORPORA / corpus).is_dir():
            sys.exit(f"error: {CORPORA / corpus} is missing")
    if not VECTORS.exists():
        sys.exit(f"error: {VECTORS} is missing")
    records, sst2_seqcli = [], None
    with tempfile.TemporaryDirectory() as tmp:
        for corpus in [c for c in ("sst2", "imdb") if c in args.corpus]:
            found, predictor = run_corpus(corpus, args, Path(tmp), sst2_seqcli)
            records += found
            sst2_seqcli = sst2_seqcli or predictor
            for record in found:
                record |= {"quick": args.quick, "subset": args.subset}
                record["baselines_only"] = args.baselines_only
                record["cpu"] = cpu()
    print(table(records))
    for r in records:
        if r.get("skipped"):
            print(f"{r['tool']} {r['corpus']}: {r['skipped']}")
        if r.get("speed_model"):
            print(f"{r['tool']} {r['corpus']} words/s: {r['speed_model']}")
    print(f"wrote {write(args.out, records)}")


if __name__ == "__main__":
    main()
