"""Robustness of the built-in models to text as people type it.

The taggers conll-en (on CoNLL-2003 dev) and wnut17-en (on WNUT-17 dev), scored on
each dev set four ways: as it is, lower-cased, upper-cased, and without
sentence-final punctuation (a sentence's last token, where it is ".", "!" or "?",
is dropped with its tag; a sentence left empty is dropped). Entity precision,
recall and F1 by seqcli's own scorer (seqcli.tagger.recipe.evaluate, conlleval's
rules, the same as `seqcli eval`); only the first column of a CoNLL line (the
token) changes, -DOCSTART- lines stay. Inference only: nothing is trained.

A CoNLL-2003 tagger is scored twice more on names it cannot have seen, in cased
text: the dev entities (gold or found) whose words are all outside its vocabulary
("as is, unseen names"), and corpora/ner.conll, the project's sentences with
made-up names ("made-up names").

With --classifier, sentiment-en's dev accuracy too, on IMDB dev and SST-2 dev (its
0/1 labels read as neg/pos) the same four ways (for a text classifier "final
punctuation" is the text's last "." "!" or "?" token, dropped from the raw text).

    python bench/robustness.py [--classifier] [--subset N]
    python bench/robustness.py --models --classifier --out robustness-sentiment
    python bench/robustness.py --from-store MODEL conll2003 --out NAME  # your tagger

Results go to bench/results/robustness.json (--out NAME: bench/results/NAME.json).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write  # noqa: E402
from seqcli import kinds  # noqa: E402
from seqcli.store import Store  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"
CPU = torch.device("cpu")
TAGGERS = {"conll-en": "conll2003", "wnut17-en": "wnut17"}
FINAL = {".", "!", "?"}
VARIANTS = ("as is", "lower-cased", "upper-cased", "no final punctuation")
DOCSTART = "-DOCSTART-"
MADE_UP = ROOT / "corpora" / "ner.conll"  # the project's own: made-up names


def sentences(path: Path, limit: int | None = None) -> list[list[str]]:
    """The CoNLL file's blocks of lines (a -DOCSTART- line is a block of its own)."""
    blocks, block = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if block:
                blocks.append(block)
            block = []
        else:
            block.append(line)
    if block:
        blocks.append(block)
    if limit is not None:
        blocks = blocks[:limit]
    return blocks


def token_case(line: str, change) -> str:
    """The line with its first column (the token) changed, separators kept."""
    if line.startswith(DOCSTART):
        return line
    token, rest = re.match(r"(\S+)(.*)", line, re.DOTALL).groups()
    return change(token) + rest


def variant_blocks(blocks: list[list[str]], variant: str) -> list[list[str]]:
    if variant == "lower-cased":
        return [[token_case(x, str.lower) for x in b] for b in blocks]
    if variant == "upper-cased":
        return [[token_case(x, str.upper) for x in b] for b in blocks]
    if variant == "no final punctuation":
        out = []
        for b in blocks:
            if b[-1].split()[0] in FINAL and not b[-1].startswith(DOCSTART):
                b = b[:-1]
            if b:
                out.append(b)
        return out
    return blocks


def tagger_rows(name: str, args, folder: Path, corpus: str | None = None) -> list[dict]:
    """A tagger's rows: a built-in, or with `corpus` a model of the user's store."""
    from seqcli.tagger.recipe import evaluate

    store = Store() if corpus else Store(folder / "empty")
    corpus = corpus or TAGGERS[name]
    dev = CORPORA / corpus / "dev.txt"
    model, manifest = kinds.load(store, name, "tagger", CPU)
    blocks = sentences(dev, args.subset)
    rows = []
    for variant in VARIANTS:
        changed = variant_blocks(blocks, variant)
        path = folder / f"{corpus}-{variant.replace(' ', '-')}.txt"
        path.write_text("\n\n".join("\n".join(b) for b in changed) + "\n")
        start = time.perf_counter()
        found = evaluate(model, manifest, files=[str(path)])
        row = {
            "bench": "robustness",
            "model": name,
            "corpus": f"{corpus} dev",
            "variant": variant,
            "f1": found["f1"],
            "precision": found["precision"],
            "recall": found["recall"],
            "support": found["support"],
            "predicted": found["predicted"],
            "sentences": found["sentences"],
            "tokens": found["tokens"],
            "seconds": round(time.perf_counter() - start, 1),
        }
        print(f"  {name} {variant}: F1 {row['f1']:.4f} ({row['seconds']} s)")
        rows.append(row)
    if corpus == "conll2003":  # names it cannot have seen, in cased text
        rows.append({**rows[0], **unseen_names(model, manifest, blocks)})
        found = evaluate(model, manifest, files=[str(MADE_UP)])
        rows.append(
            {
                **rows[0],
                "corpus": "corpora/ner.conll",
                "variant": "made-up names",
                **{k: found[k] for k in ("f1", "precision", "recall", "support")},
                **{k: found[k] for k in ("predicted", "sentences", "tokens")},
            }
        )
        for row in rows[-2:]:
            print(f"  {name} {row['variant']}: F1 {row['f1']:.4f}")
    return rows


def unseen_names(model, manifest: dict, blocks: list[list[str]]) -> dict:
    """Entity scores over the dev entities (gold or found) all of whose words are
    outside the model's vocabulary: names it has no word vector for."""
    from seqcli.tagger.data import Batcher
    from seqcli.tagger.entities import chunks, prf
    from seqcli.vocab import word_key

    batcher = Batcher.from_manifest(manifest)
    blocks = [b for b in blocks if not b[0].startswith(DOCSTART)]
    tokens = [[line.split()[0] for line in b] for b in blocks]
    paths = model.decode_tokens(batcher, tokens)

    def unseen(labels: list[str], known: list[bool]) -> set:
        # chunks reads any scheme as conlleval does: the file's IOB1, the model's own
        return {c for c in chunks(labels) if not any(known[c[0] : c[1]])}

    correct = support = predicted = 0
    for words, block, path in zip(tokens, blocks, paths, strict=True):
        known = [word_key(w) in batcher.words for w in words]
        wanted = unseen([x.split()[-1] for x in block], known)
        found = unseen([model.tags[i] for i in path], known)
        correct += len(wanted & found)
        support, predicted = support + len(wanted), predicted + len(found)
    return {
        "variant": "as is, unseen names",
        **prf(correct, predicted, support),
        "support": support,
        "predicted": predicted,
    }


def classifier_text(text: str, variant: str) -> str:
    if variant == "lower-cased":
        return text.lower()
    if variant == "upper-cased":
        return text.upper()
    if variant == "no final punctuation":
        return re.sub(r"\s*[.!?]\s*$", "", text)
    return text


def classifier_rows(args, folder: Path) -> list[dict]:
    from seqcli.classifier.data import read_labelled
    from seqcli.classifier.recipe import evaluate

    model, manifest = kinds.load(Store(folder / "empty"), "sentiment-en", None, CPU)
    rows = []
    for corpus, mapping in (("imdb", {}), ("sst2", {"0": "neg", "1": "pos"})):
        data = read_labelled(str(CORPORA / corpus / "dev.txt"))
        n = len(data.texts) if args.subset is None else args.subset
        for variant in VARIANTS:
            path = folder / f"{corpus}-{variant.replace(' ', '-')}.tsv"
            lines = (
                f"{mapping.get(y, y)}\t{classifier_text(t, variant)}\n"
                for y, t in zip(data.labels[:n], data.texts[:n], strict=True)
            )
            path.write_text("".join(lines), encoding="utf-8")
            start = time.perf_counter()
            found = evaluate(model, manifest, files=[str(path)])
            row = {
                "bench": "robustness",
                "model": "sentiment-en",
                "corpus": f"{corpus} dev",
                "variant": variant,
                "accuracy": found["accuracy"],
                "macro_f1": found["macro_f1"],
                "ece": found["ece"],
                "texts": found["texts"],
                "seconds": round(time.perf_counter() - start, 1),
            }
            print(f"  sentiment-en {corpus} {variant}: {row['accuracy']:.4f}")
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--models",
        nargs="*",
        choices=list(TAGGERS),
        default=None,
        help="the taggers to score (default: both; none: only --classifier)",
    )
    parser.add_argument(
        "--classifier", action="store_true", help="sentiment-en on IMDB and SST-2 too"
    )
    parser.add_argument("--subset", type=int, metavar="N", help="first N sentences")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="robustness", metavar="NAME")
    parser.add_argument(
        "--from-store",
        nargs=2,
        metavar=("MODEL", "CORPUS"),
        help="a tagger of the user's store instead, on CORPUS's dev (e.g. conll2003)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.from_store:
            rows += tagger_rows(
                *args.from_store[:1], args, Path(tmp), args.from_store[1]
            )
        taggers = list(TAGGERS) if args.models is None else args.models
        for name in [] if args.from_store else taggers:
            rows += tagger_rows(name, args, Path(tmp))
        if args.classifier:
            rows += classifier_rows(args, Path(tmp))
    for row in rows:
        row["subset"] = args.subset
    print(f"wrote {write(args.out, rows)}")


if __name__ == "__main__":
    main()
