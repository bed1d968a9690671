"""Where a tagger's lower-case gap comes from: which dev entities it finds in the text
as written but not lower-cased, and the other way round.

    python bench/case_gap.py wnut-cl-s1 wnut-cl-s2 --corpus wnut17

For taggers of the user's store, on a corpus's dev set (as written, and with every
token lower-cased as bench/robustness.py does): each gold entity counts as found
where the tagger predicts exactly its span and type. Entities are grouped by type
and by whether their first letter is a capital in the text as written; "lost" are
found as written but not lower-cased, "gained" the reverse, and "lost, every word
known" the lost ones whose words are all in the tagger's vocabulary (so what it had
to go on, lower-cased, was the words themselves). Inference only. Results go to
bench/results/case-gap.json (--out NAME).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write  # noqa: E402
from seqcli import kinds  # noqa: E402
from seqcli.store import Store  # noqa: E402
from seqcli.tagger.data import Batcher, read_conll, word_key  # noqa: E402
from seqcli.tagger.decode import tag_tokens  # noqa: E402
from seqcli.tagger.entities import chunks  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"


def rows(name: str, corpus: str) -> list[dict]:
    model, manifest = kinds.load(Store(), name, "tagger", "cpu")
    batcher = Batcher.from_manifest(manifest)
    doc = read_conll(str(CORPORA / corpus / "dev.txt"))
    sentences = [s for s in doc.sentences if s.tokens]
    tokens = [s.tokens for s in sentences]
    written = tag_tokens(model, manifest, tokens, batcher=batcher)
    lowered = [[t.lower() for t in s] for s in tokens]
    lowered = tag_tokens(model, manifest, lowered, batcher=batcher)
    unk = batcher.words.unk_index
    counts: Counter = Counter()
    for s, a, b in zip(sentences, written, lowered, strict=True):
        as_written, lower = set(chunks(a)), set(chunks(b))
        for start, end, kind in chunks(s.labels):
            group = (kind, s.tokens[start][:1].isupper())
            entity = (start, end, kind)
            counts[group, "gold"] += 1
            counts[group, "as written"] += entity in as_written
            counts[group, "lower-cased"] += entity in lower
            if entity in as_written and entity not in lower:
                counts[group, "lost"] += 1
                keys = [word_key(t, batcher.case) for t in s.tokens[start:end]]
                counts[group, "known"] += unk not in batcher.words.encode(keys)
            counts[group, "gained"] += entity in lower and entity not in as_written
    groups = sorted({g for g, _ in counts})
    return [
        {
            "bench": "case gap",
            "model": name,
            "corpus": f"{corpus} dev",
            "type": kind,
            "capitalised": capital,
            "gold": counts[(kind, capital), "gold"],
            "found_as_written": counts[(kind, capital), "as written"],
            "found_lower_cased": counts[(kind, capital), "lower-cased"],
            "lost": counts[(kind, capital), "lost"],
            "lost_known": counts[(kind, capital), "known"],
            "gained": counts[(kind, capital), "gained"],
        }
        for kind, capital in groups
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="+", help="taggers of the user's store")
    parser.add_argument("--corpus", default="wnut17", help="a folder of the corpora")
    parser.add_argument("--out", default="case-gap")
    args = parser.parse_args()
    torch.set_num_threads(2)
    records = [r for name in args.models for r in rows(name, args.corpus)]
    for r in records:
        print(r)
    write(args.out, records)


if __name__ == "__main__":
    main()
