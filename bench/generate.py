"""Generation with the built-in char-LM: sampling against beam search, side by side.

    python bench/generate.py [--length 300] [--primes 8]

For each way of choosing characters (sampling at a few temperatures; beams of 1, 4 and
8, each without and with the repetition guard `--no-repeat-ngram`; the sampled beam),
the same primes (the starts of lines of Tiny Shakespeare's train part that follow a
speaker's name) are continued by `--length` characters, and each continuation is
scored two ways:

- the model's own loss of it (nats per character, the whole window at once): how
  likely the model finds what it wrote; low is conservative, high is wild;
- the share of its 8-grams that are distinct: 1.0 never repeats itself, low values
  are the loops that wide beams fall into.

Results go to bench/results/generate.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write  # noqa: E402
from seqcli import kinds  # noqa: E402
from seqcli.charlm.decode import beam_search, generate  # noqa: E402
from seqcli.store import Store  # noqa: E402
from seqcli.vocab import Vocab  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "shakespeare" / "train.txt"
# name → options of the search
WAYS = {
    "sample t=0.5": {"temperature": 0.5},
    "sample t=0.8": {"temperature": 0.8},
    "sample t=1.0": {"temperature": 1.0},
    "beam 1 (greedy)": {"beam": 1},
    "beam 4": {"beam": 4},
    "beam 8": {"beam": 8},
    "beam 1, no-repeat 8": {"beam": 1, "no_repeat": 8},
    "beam 4, no-repeat 8": {"beam": 4, "no_repeat": 8},
    "beam 8, no-repeat 8": {"beam": 8, "no_repeat": 8},
    "beam 4, no-repeat 12": {"beam": 4, "no_repeat": 12},
    "beam 8, no-repeat 12": {"beam": 8, "no_repeat": 12},
    "sampled beam 4, t=0.8": {"beam": 4, "sample": True, "temperature": 0.8},
}


def primes(n: int) -> list[str]:
    """The first n speakers' first lines' openings: "NAME:\\nWords of the"."""
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    found = []
    for i, line in enumerate(lines[:-1]):
        if line.endswith(":") and line.isupper() and lines[i + 1]:
            found.append(f"{line}\n{' '.join(lines[i + 1].split()[:3])}")
        if len(found) == n * 50:
            break
    return found[::50][:n]


def loss(model, prime: list[int], ids: list[int]) -> float:
    """Mean negative log-probability per character of ids after prime."""
    with torch.no_grad():
        logits = model(torch.tensor([prime + ids]))[0][0]
        logp = torch.log_softmax(logits.double(), -1)
    start = len(prime) - 1
    return -sum(float(logp[start + t, i]) for t, i in enumerate(ids)) / len(ids)


def distinct(ids: list[int], n: int = 8) -> float:
    grams = [tuple(ids[i : i + n]) for i in range(len(ids) - n + 1)]
    return len(set(grams)) / max(1, len(grams))


def continuation(model, vocab, prime: list[int], options: dict, length: int, seed):
    banned = [vocab.pad_index, vocab.unk_index, vocab.bos_index, vocab.eos_index]
    if "beam" in options:
        opts = {k: v for k, v in options.items() if k != "beam"}
        ids, _ = beam_search(
            model,
            prime,
            length=length,
            beam=options["beam"],
            seed=seed,
            banned=banned,
            **opts,
        )
        return ids
    steps = generate(model, prime, length=length, seed=seed, banned=banned, **options)
    return [i for (i,) in steps]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--length", type=int, default=300)
    parser.add_argument("--primes", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(2)
    store = Store()
    model, manifest = kinds.load(store, "shakespeare", "charlm", torch.device("cpu"))
    vocab = Vocab.from_dict(manifest["vocabs"]["chars"])
    texts = primes(args.primes)
    records = []
    for way, options in WAYS.items():
        losses, shares = [], []
        for k, text in enumerate(texts):
            prime = [vocab.stoi[c] for c in text if c in vocab]
            ids = continuation(model, vocab, prime, options, args.length, seed=k)
            losses.append(loss(model, prime, ids))
            shares.append(distinct(ids))
        record = {
            "bench": "generate: sampling and beam search",
            "way": way,
            "model loss (nats/char)": round(statistics.mean(losses), 4),
            "distinct 8-grams": round(statistics.mean(shares), 4),
            "lowest distinct 8-grams": round(min(shares), 4),
            "primes": len(texts),
            "length": args.length,
        }
        records.append(record)
        print(record, flush=True)
    print("wrote", write("generate", records))


if __name__ == "__main__":
    main()
