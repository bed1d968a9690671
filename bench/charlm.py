"""Char-LM benchmarks: quality at equal wall time against a small GPT, generation
speed, training throughput per cell, CLI start-up.

    python bench/charlm.py [--quality-seconds 600] [--cells lstm,gru,mingru]
    python bench/charlm.py --skip-quality          # speeds only (charlm-speed.json)

1. Held-out loss (nats/char) after --quality-seconds of training, side by side in
   one run, on Tiny Shakespeare's train part: trained on its first 95%, scored on
   the last 5%. Contenders: the small GPT of bench/gpt.py (nanoGPT's CPU recipe
   sizes), scored at every position with up to 64 characters of context as it
   generates, and seqcli's default char-LM (seqcli.charlm.recipe with its default
   config and TRAINING) with each cell of --cells, scored over the whole held-out
   text as one stream with its state carried. seqcli holds the last 5% out as its
   dev set and keeps its best evaluation, as `seqcli train charlm` does; the GPT's
   cosine schedule ends with the budget and its last weights are scored.
2. Generation speed (chars/s), one stream and 32 streams, side by side in one run:
   seqcli's stepper (one stream steps in numpy; several in torch, int8 and, to show
   what int8 gives, float32), a plain nn.LSTM step loop (the faster of oneDNN on and
   off), and re-running the model over the last 40 characters for every new
   character. Also the loss of stepping int8 vs float32 over dev text, to show that
   quantization keeps the quality.
3. Training throughput (characters/s, forward, backward and AdamW step) of the
   default config with each cell, side by side.
4. Start-up: `seqcli --help`, and tagging one sentence with the built-in tagger.

Run it on an otherwise idle machine: equal-time comparisons are meaningless while
other processes share the two cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import gpt  # noqa: E402
from bench.common import best_time, best_times, write  # noqa: E402
from seqcli.charlm import recipe  # noqa: E402
from seqcli.charlm.config import TRAINING, CharLMConfig  # noqa: E402
from seqcli.charlm.data import streams  # noqa: E402
from seqcli.charlm.model import CharLM  # noqa: E402
from seqcli.charlm.recipe import CharLMRecipe  # noqa: E402
from seqcli.charlm.stepper import Stepper  # noqa: E402
from seqcli.store import Store  # noqa: E402
from seqcli.vocab import Vocab, chars  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "shakespeare" / "train.txt"


def held_out() -> tuple[str, str]:
    """(first 95%, last 5%) of the corpus, as `seqcli train charlm` splits it."""
    return CharLMRecipe([], dev_fraction=0.05).split_dev(
        CORPUS.read_text(encoding="utf-8"), seed=0
    )


def train_seqcli(seconds: float, cell: str, **config) -> tuple[dict, CharLM, Vocab]:
    """seqcli's recipe with the default config (and `config` changes) for `seconds`."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp), builtin=None)
        start = time.perf_counter()
        pos = recipe.train(
            [str(CORPUS)],
            name="bench",
            store=store,
            device=torch.device("cpu"),
            settings=replace(TRAINING, time_budget=seconds),
            config=CharLMConfig(cell=cell, **config),
        )
        wall = time.perf_counter() - start
        manifest, tensors = store.load("bench")
    model = CharLM.from_manifest(manifest)
    model.load_state_dict(tensors)
    model.eval()
    vocab = Vocab.from_dict(manifest["vocabs"]["chars"])
    dev = torch.tensor(vocab.encode(chars(held_out()[1])))
    record = {
        "bench": "charlm quality",
        "model": f"seqcli {cell}",
        "seconds": seconds,
        "wall_seconds": round(wall, 1),
        "held_out_loss": recipe.lm_loss(model, dev, batch_size=1),
        "dev_loss_in_training": pos.best,
        "steps": pos.global_step,
        "chars_trained": pos.tokens,
        "parameters": sum(p.numel() for p in model.parameters()),
        "config": manifest["config"],
    }
    return record, model, vocab


def cells_only(cells: list[str], seconds: float) -> None:
    """Each cell's quality run, added to charlm-tuning.jsonl beside the others."""
    from bench.common import RESULTS, environment

    full = json.loads((RESULTS / "charlm.json").read_text())
    gpt = [r for r in full if r.get("model", "").startswith("small GPT")]
    gpt_loss = gpt[0]["held_out_loss"]
    with (RESULTS / "charlm-tuning.jsonl").open("a") as out:
        for cell in cells:
            record = train_seqcli(seconds, cell)[0]
            record["below_gpt"] = gpt_loss - record["held_out_loss"]
            record["spec"] = f"{cell} (the GPT of charlm.json)"
            out.write(json.dumps(record | environment()) + "\n")
            print(record, flush=True)


def train_gpt(seconds: float) -> dict:
    text, dev_text = held_out()
    vocab = Vocab.build([chars(text), chars(dev_text)])
    ids = torch.tensor(vocab.encode(chars(text)))
    model, info = gpt.train(ids, len(vocab), seconds)
    return {
        "bench": "charlm quality",
        "model": "small GPT (bench/gpt.py)",
        "seconds": seconds,
        "held_out_loss": gpt.score(model, torch.tensor(vocab.encode(chars(dev_text)))),
        "steps": info["steps"],
        "chars_trained": info["steps"] * 12 * 64,
        "parameters": sum(p.numel() for p in model.parameters()),
        "config": {"layers": 4, "heads": 4, "width": 128, "block": 64, "batch": 12},
    }


def training_speed(cells: list[str]) -> list[dict]:
    """Characters/s of training steps at the default sizes, per cell, in turns."""
    cfg = CharLMConfig()
    x = torch.randint(4, 69, (cfg.batch_size, cfg.bptt))
    y = torch.randint(4, 69, (cfg.batch_size, cfg.bptt))
    steps = {}
    for cell in cells:
        torch.manual_seed(0)
        model = CharLM(CharLMConfig(vocab_size=69, cell=cell)).train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

        def step(model=model, opt=opt):
            _, _, loss = model(x, None, y)
            opt.zero_grad()
            loss.backward()
            opt.step()

        steps[cell] = step
    times = best_times(steps)
    return [
        {
            "bench": "charlm training speed",
            "cell": cell,
            "chars_per_s": round(x.numel() / seconds),
            "config": vars(CharLMConfig(cell=cell)),
        }
        for cell, seconds in times.items()
    ]


def default_model() -> tuple[CharLM, Vocab]:
    """The built-in model if it is there, else an untrained one of the default size."""
    store = Store()
    if "shakespeare" in store.names():
        manifest, tensors = store.load("shakespeare")
        model = CharLM.from_manifest(manifest)
        model.load_state_dict({k: v.float() for k, v in tensors.items()})
        return model.eval(), Vocab.from_dict(manifest["vocabs"]["chars"])
    vocab = Vocab(sorted(set(CORPUS.read_text(encoding="utf-8"))))
    return CharLM(CharLMConfig(vocab_size=len(vocab))).eval(), vocab


@torch.inference_mode()  # as seqcli.charlm.decode runs; it saves each step ~10%
def speeds(model: CharLM, batch: int, n: int) -> list[dict]:
    x0 = torch.zeros(batch, dtype=torch.long)

    def seqcli_steps(quantize: bool):
        stepper = Stepper(model, quantize=quantize)

        def run():
            logits, state = stepper.prime(x0[:, None].numpy())
            for _ in range(n):
                logits, state = stepper.step(logits.argmax(-1), state)

        return run

    def plain_loop():
        x, state = x0[:, None], None
        for _ in range(n):
            logits, state, _ = model(x, state)
            x = logits[:, -1].argmax(-1, keepdim=True)

    def rerun_window():  # the model over the last 40 characters, for every character
        window = torch.zeros(batch, 40, dtype=torch.long)
        for _ in range(n):
            logits, _, _ = model(window)
            window = torch.cat(
                [window[:, 1:], logits[:, -1].argmax(-1, keepdim=True)], 1
            )

    def onednn(fn, enabled: bool):
        def run():
            with torch.backends.mkldnn.flags(enabled=enabled):
                fn()

        return run

    # the baselines take the faster of oneDNN on and off (see benchmarks.md)
    times = best_times(
        {
            ("seqcli", False): onednn(seqcli_steps(True), False),
            ("seqcli without int8", False): onednn(seqcli_steps(False), False),
            ("plain loop", True): onednn(plain_loop, True),
            ("plain loop", False): onednn(plain_loop, False),
            ("rerun 40-char window", True): onednn(rerun_window, True),
            ("rerun 40-char window", False): onednn(rerun_window, False),
        },
    )
    rates: dict[str, float] = {}
    for (method, _), seconds in times.items():
        rates[method] = max(rates.get(method, 0.0), batch * n / seconds)
    # what one step must read: the recurrent and output weights in float32 (the
    # first layer's input product is a table lookup)
    weights = sum(p.numel() for p in model.rnn.parameters()) + sum(
        p.numel() for p in model.head.parameters()
    )
    return [
        {
            "bench": "charlm generation",
            "streams": batch,
            "method": method,
            "chars_per_s": round(rate, 1),
            "seqcli_ratio": round(rates["seqcli"] / rate, 2),
            "weight_mb_per_step": round(4 * weights / 1e6, 2),
            "weight_gb_per_s": round(4 * weights * rate / batch / 1e9, 1),
        }
        for method, rate in rates.items()
    ]


def onnx_step_speed(model: CharLM, vocab: Vocab, n: int) -> list[dict]:
    """One stream: seqcli's numpy step against onnxruntime running the exported step
    graph (`seqcli export`), in turns; chars/s."""
    import numpy as np
    import onnxruntime as ort

    from seqcli.charlm.numpy_model import NumpyLM
    from seqcli.onnx import export

    manifest = {"kind": "charlm", "config": vars(model.cfg)}
    manifest["vocabs"] = {"chars": vocab.to_dict()}
    weights = {k: v.numpy() for k, v in model.state_dict().items()}
    lite = NumpyLM(model.cfg, weights)
    with tempfile.TemporaryDirectory() as tmp:
        export("lm", model, manifest, Path(tmp))
        sessions = {}
        for threads in (1, 2):
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            sessions[threads] = ort.InferenceSession(
                str(Path(tmp) / "step.onnx"), options
            )

    def numpy_steps():
        logits, state = lite.prime(np.zeros((1, 1), dtype=np.int64))
        for _ in range(n):
            logits, state = lite.step(logits.argmax(-1), state)

    def onnx_steps(session):
        def run():
            zeros = np.zeros((model.cfg.layers, 1, model.cfg.hidden), np.float32)
            ids, h, c = np.zeros(1, dtype=np.int64), zeros, zeros
            for _ in range(n):
                logits, h, c = session.run(None, {"ids": ids, "h": h, "c": c})
                ids = logits.argmax(-1)

        return run

    times = best_times(
        {"numpy": numpy_steps}
        | {f"onnxruntime, {k} thread(s)": onnx_steps(s) for k, s in sessions.items()}
    )
    return [
        {
            "bench": "charlm one-stream step",
            "method": method,
            "chars_per_s": round(n / seconds, 1),
            "microseconds_per_step": round(seconds / n * 1e6, 1),
        }
        for method, seconds in times.items()
    ]


@torch.no_grad()
def stepped_loss(model: CharLM, ids: torch.Tensor, quantize: bool) -> float:
    """Mean loss of stepping over ids cut into 4 streams (more than one row steps in
    torch, where int8 applies)."""
    data = streams(ids, 4)
    stepper = Stepper(model, quantize=quantize)
    logits, state = stepper.prime(data[:, :1].numpy())
    total = 0.0
    for t in range(1, data.size(1)):
        total += F.cross_entropy(torch.from_numpy(logits), data[:, t]).item()
        logits, state = stepper.step(data[:, t].numpy(), state)
    return total / (data.size(1) - 1)


def startup() -> list[dict]:
    """Wall time of whole commands in a new process: what a user waits for."""

    def timed(args: list[str], text: str | None = None) -> float:
        def run():
            subprocess.run(
                [sys.executable, "-m", "seqcli", *args],
                input=text,
                check=True,
                capture_output=True,
                cwd=ROOT,
                text=True,
            )

        return round(best_time(run, repeat=5), 3)

    sentence = "Angela Merkel met Emmanuel Macron in Paris on Tuesday.\n"
    return [
        {"bench": "seqcli --help", "seconds": timed(["--help"])},
        {
            "bench": "tag one sentence cold (built-in conll-en)",
            "seconds": timed(["tag", "-q"], sentence),
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quality-seconds", type=float, default=600)
    parser.add_argument("--cells", default="lstm,gru,mingru,rnn")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument(
        "--cells-only",
        action="store_true",
        help="Only the quality run of each of --cells, added to charlm-tuning.jsonl "
        "(below the GPT of the last full run).",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chars", type=int, default=400)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cells = args.cells.split(",")
    if args.cells_only:
        cells_only(cells, args.quality_seconds)
        return
    default = CharLMConfig().cell
    records = []
    if not args.skip_quality:
        records.append(train_gpt(args.quality_seconds))
        print(records[-1], flush=True)
        for cell in cells:
            record, trained, trained_vocab = train_seqcli(args.quality_seconds, cell)
            record["below_gpt"] = records[0]["held_out_loss"] - record["held_out_loss"]
            records.append(record)
            print(record, flush=True)
            if cell == default:
                model, vocab = trained, trained_vocab
    if args.skip_quality or default not in cells:
        model, vocab = default_model()
        manifest = Store().manifest("shakespeare")
        records.append(
            {
                "bench": "charlm quality",
                "source": "built-in model (build_defaults.py)",
                "seconds": manifest.training["seconds"],
                # a release model trained on its dev data: its dev run's figure
                "val_loss": (manifest.get("dev_run_metrics") or manifest.metrics)[
                    "loss"
                ],
                "steps": manifest.training["steps"],
                "with_dev": bool(manifest.training.get("with_dev")),
                "config": manifest.config,
            }
        )
        print(records[-1])
    for batch in (1, 32):
        for r in speeds(model, batch, args.chars if batch == 1 else args.chars // 4):
            records.append(r)
            print(r)
    text = CORPUS.read_text(encoding="utf-8")
    dev = torch.tensor(vocab.encode(chars(text[int(len(text) * 0.95) :][:5000])))
    loss = {q: stepped_loss(model, dev, q) for q in (False, True)}
    records.append(
        {
            "bench": "charlm int8 stepping quality",
            "chars": len(dev),
            "loss_float32": loss[False],
            "loss_int8": loss[True],
        }
    )
    print(records[-1])
    for record in onnx_step_speed(model, vocab, args.chars):
        records.append(record)
        print(record)
    for record in training_speed(cells):
        records.append(record)
        print(record)
    for record in startup():
        records.append(record)
        print(record)
    # the speeds alone go beside the last full run, which keeps its quality records
    print("wrote", write("charlm-speed" if args.skip_quality else "charlm", records))


if __name__ == "__main__":
    main()
