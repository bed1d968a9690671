"""Translator benchmarks on Multi30k (English → German), in one run.

    python bench/translator.py [--time-budget 1800] [--speed-sentences N]
                               [--keep NAME | --model NAME]

1. Quality: train the default translator (seqcli's defaults for model and training)
   on ../shared/corpora/multi30k/train.* for --time-budget seconds, picking the
   checkpoint by beam-5 BLEU on val, then val sacreBLEU (detokenised, default
   settings) with greedy search and beam 5 as `seqcli translate` runs (int8 output
   layer, an <unk> written as its attended source word when that word is unknown
   too, else left out), greedy in float32 to
   show that int8 costs no BLEU, and beam 5 with <unk> kept (--keep-unk).
2. Speed, with that model, side by side on val (all 1,014 sentences unless
   --speed-sentences says fewer): sentences/s of `seqcli translate`'s path
   (tokenize, batches of 128 sorted by length, search, detokenize) for greedy and
   beam 5, against translating one sentence at a time with the same code (the
   faster of oneDNN on and off, since oneDNN loses badly at batch 1).
3. Training speed, side by side on the same real batches: target tokens/s of a
   training step with seqcli's output layer + loss (seqcli.translator.linear_loss:
   the default sampled softmax, and over all words) and fused AdamW, against the
   library's `F.cross_entropy(F.linear(...))` and default AdamW.

Results go to bench/results/translator.json. --keep NAME also saves the model in the
user's store under NAME; --model NAME measures a stored model instead of training one
(e.g. the built-in multi30k-en-de, built the same way by scripts/build_defaults.py).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import best_time, best_times, write  # noqa: E402
from seqcli import cells  # noqa: E402
from seqcli.config import config_from  # noqa: E402
from seqcli.data import read_lines  # noqa: E402
from seqcli.store import Store  # noqa: E402
from seqcli.translator import model as translator_model  # noqa: E402
from seqcli.translator import recipe  # noqa: E402
from seqcli.translator.config import TRAINING, TranslatorConfig  # noqa: E402
from seqcli.translator.data import Codec, tokenize  # noqa: E402
from seqcli.translator.decode import translate_lines  # noqa: E402
from seqcli.translator.linear_loss import linear_cross_entropy  # noqa: E402
from seqcli.translator.model import Translator  # noqa: E402
from seqcli.translator.recipe import TranslatorTask, score  # noqa: E402

DATA = ROOT.parent / "shared" / "corpora" / "multi30k"
VECTORS = ROOT.parent / "shared" / "vectors" / "glove.6B.50d.txt.gz"
CPU = torch.device("cpu")
BATCH = 128


def train(seconds: float, keep: str | None) -> tuple[dict, Translator, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp), builtin=None)
        settings = replace(TRAINING, time_budget=seconds)
        start = time.perf_counter()
        pos = recipe.train(
            name="bench",
            store=store,
            device=torch.device("cpu"),
            settings=settings,
            config=TranslatorConfig(src_lang="en", tgt_lang="de"),
            src=str(DATA / "train.en"),
            tgt=str(DATA / "train.de"),
            dev_src=str(DATA / "val.en"),
            dev_tgt=str(DATA / "val.de"),
            src_vectors=str(VECTORS),
        )
        wall = time.perf_counter() - start
        manifest, tensors = store.load("bench")
    if keep:
        Store().save(keep, tensors, {**manifest, "name": keep})
    model = Translator.from_manifest(manifest)
    model.load_state_dict(tensors)
    record = {
        "bench": "translator training",
        "time_budget": seconds,
        "wall_seconds": round(wall, 1),
        "steps": pos.global_step,
        "epochs": round(pos.global_step / max(1, _steps_per_epoch(pos)), 2),
        "stopped": pos.stopped,
        "val_bleu_greedy_at_selection": pos.best,
        "config": manifest["config"],
        "training": asdict(settings),
    }
    return record, model.eval(), manifest


def stored(name: str) -> tuple[dict, Translator, dict]:
    """A model of the store, and the record of its training from its manifest."""
    manifest, tensors = Store().load(name, "translator")
    model = Translator.from_manifest(manifest)
    model.load_state_dict({k: v.float() for k, v in tensors.items()})
    training = manifest["training"]
    record = {
        "bench": "translator training",
        "source": f"stored model {name}",
        "time_budget": training["settings"]["time_budget"],
        "steps": training["steps"],
        "val_bleu_greedy_at_selection": (
            manifest.get("dev_metrics_during_training") or manifest.get("metrics")
        ),
        "config": manifest["config"],
        "training": training["settings"],
    }
    return record, model.eval(), manifest


def _steps_per_epoch(pos) -> float:
    history = [h for h in pos.history if h["epoch"] > 0]
    return history[-1]["step"] / history[-1]["epoch"] if history else 1


def quality(model, codec, sources, refs) -> list[dict]:
    records = []
    translate_lines(model, codec, sources[:BATCH], beam=5)  # warm-up
    # (beam, int8 output layer, <unk> as the attended source word if it is unknown
    # too, else left out)
    for beam, int8, replace_unk in (
        (1, True, True),
        (5, True, True),
        (1, False, True),
        (5, True, False),
    ):
        start = time.perf_counter()
        found = translate_lines(
            model,
            codec,
            sources,
            beam=beam,
            batch_size=BATCH,
            quantize=int8,
            replace_unk=replace_unk,
        )
        seconds = time.perf_counter() - start
        metrics = score([f[0][0] for f in found], refs)
        records.append(
            {
                "bench": "translator val quality",
                "search": "greedy" if beam == 1 else f"beam {beam}",
                "output_layer": "int8" if int8 else "float32",
                "unknown_words": "unknown source word or left out"
                if replace_unk
                else "<unk>",
                "sentences": len(sources),
                "bleu": round(metrics["bleu"], 2),
                "chrf": round(metrics["chrf"], 2),
                "signature": metrics["signature"],
                "sentences_per_s": round(len(sources) / seconds, 1),
            }
        )
        print(records[-1], flush=True)
    return records


def speed(model, codec, sentences: list[str]) -> list[dict]:
    records = []
    for beam in (1, 5):

        def run_batched(beam=beam):
            return translate_lines(model, codec, sentences, beam=beam, batch_size=BATCH)

        # warmed (the int8 output layer, oneDNN's kernels for these shapes), best of 3:
        # one batched pass takes well under a second, so one timing is mostly noise
        batched = run_batched()
        batched_s = best_time(run_batched, repeat=3)
        # the baseline: the fastest of oneDNN off/on and 1 or all threads
        singles = {}
        threads = torch.get_num_threads()
        for onednn, n_threads in itertools.product((False, True), {1, threads}):
            torch.set_num_threads(n_threads)
            # translate_lines picks oneDNN per batch; force it for the baseline
            with _forced_onednn(onednn):
                translate_lines(model, codec, sentences[:1], beam=beam)
                start = time.perf_counter()
                one_by_one = [
                    translate_lines(model, codec, [s], beam=beam)[0] for s in sentences
                ]
                singles[
                    f"onednn {'on' if onednn else 'off'}, {n_threads} thread(s)"
                ] = time.perf_counter() - start
            torch.set_num_threads(threads)
        same = sum(a[0][0] == b[0][0] for a, b in zip(batched, one_by_one, strict=True))
        fastest = min(singles, key=singles.get)
        records.append(
            {
                "bench": "translator speed",
                "search": "greedy" if beam == 1 else f"beam {beam}",
                "sentences": len(sentences),
                "batched_sentences_per_s": round(len(sentences) / batched_s, 1),
                "one_at_a_time_sentences_per_s": round(
                    len(sentences) / singles[fastest], 1
                ),
                "one_at_a_time_fastest": fastest,
                "one_at_a_time_seconds": {k: round(v, 2) for k, v in singles.items()},
                "speedup": round(singles[fastest] / batched_s, 2),
                "same_output": f"{same}/{len(sentences)}",
                "batch_size": BATCH,
            }
        )
        print(records[-1], flush=True)
    return records


def training_speed(manifest: dict, pairs: int = 2000, steps: int = 15) -> list[dict]:
    """Training tokens/s of each mix of loss and optimizer, in turns, same batches."""
    import torch.nn.functional as F

    from seqcli.vocab import Vocab, WordTokenizer

    cfg = config_from(TranslatorConfig, manifest["config"])
    codec = Codec(manifest)
    src_ids = codec.sources(read_lines(str(DATA / "train.en"))[:pairs])[1]
    targets = read_lines(str(DATA / "train.de"))[:pairs]
    tgt_tokens = tokenize(WordTokenizer(cfg.tgt_lang), targets, glued=True)
    tgt_ids = [codec.tgt_vocab.encode(codec.units("tgt", t)) for t in tgt_tokens]
    task = TranslatorTask(
        (src_ids, tgt_ids), ([], [], []), codec, batch_size=cfg.batch_size, device=CPU
    )
    batches = list(task.batches(0, 0))[:steps]
    tokens = sum(int((b[3] != Vocab.pad_index).sum()) for b in batches)
    seqcli_loss = linear_cross_entropy

    def library_loss(x, weight, bias, target, label_smoothing, samples=0):
        logits = F.linear(x, weight, bias)
        return F.cross_entropy(logits, target, label_smoothing=label_smoothing)

    def run(loss_fn, fused: bool, samples: int = 0):
        torch.manual_seed(0)
        model = Translator(replace(cfg, sampled_softmax=samples)).train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=fused)

        def epoch():
            # where the model looks it up
            translator_model.linear_cross_entropy = loss_fn
            try:
                for batch in batches:
                    loss = model(*batch)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
            finally:
                translator_model.linear_cross_entropy = seqcli_loss

        return epoch

    drawn = cfg.sampled_softmax
    mixes = {
        f"seqcli loss, sampled softmax ({drawn} drawn), fused AdamW": run(
            seqcli_loss, True, drawn
        ),
        "seqcli loss, fused AdamW": run(seqcli_loss, True),
        "library loss, fused AdamW": run(library_loss, True),
        "seqcli loss, default AdamW": run(seqcli_loss, False),
        "library loss, default AdamW": run(library_loss, False),
    }
    seconds = best_times(mixes, repeat=3, number=1)
    base = seconds["library loss, default AdamW"]
    record = {
        "bench": "translator training speed",
        "pairs": f"first {pairs} of train, {len(batches)} batches of {cfg.batch_size}",
        "target_tokens": tokens,
        "tokens_per_s": {k: round(tokens / v) for k, v in seconds.items()},
        "speedup_vs_library_loss_default_adamw": {
            k: round(base / v, 2) for k, v in seconds.items()
        },
    }
    print(record, flush=True)
    return [record]


class _forced_onednn:
    """oneDNN on or off whatever the rows (decoding asks cells.onednn_for)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __enter__(self):
        self.original = cells.onednn_for
        rows = cells.ONEDNN_ROWS if self.enabled else 0
        cells.onednn_for = lambda _: self.original(rows)

    def __exit__(self, *exc):
        cells.onednn_for = self.original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-budget", type=float, default=1800.0)
    parser.add_argument(
        "--speed-sentences", type=int, default=0, help="the first N of val (0: all)"
    )
    parser.add_argument("--keep", metavar="NAME", help="save the model under NAME")
    parser.add_argument(
        "--model",
        metavar="NAME",
        help="measure this stored model (e.g. multi30k-en-de) instead of training",
    )
    args = parser.parse_args()

    if args.model:
        record, model, manifest = stored(args.model)
    else:
        record, model, manifest = train(args.time_budget, args.keep)
    print(record, flush=True)
    codec = Codec(manifest)
    sources = read_lines(str(DATA / "val.en"))
    refs = read_lines(str(DATA / "val.de"))
    records = [record, *quality(model, codec, sources, refs)]
    records += speed(model, codec, sources[: args.speed_sentences or None])
    records += training_speed(manifest)
    print(f"wrote {write('translator', records)}")


if __name__ == "__main__":
    main()
