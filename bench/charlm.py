"""Char-LM benchmarks: quality at equal wall time, generation speed, CLI start-up.

    python bench/charlm.py [--quality-seconds 600] [--skip-quality]

1. Validation loss (nats/char) on the last 5% of Tiny Shakespeare's train part after
   training the default model for --quality-seconds.
2. Generation speed (chars/s), one stream and 32 streams, side by side in one run:
   seqcli's stepper (one stream steps in numpy; several in torch, int8 and, to show
   what int8 gives, float32), a plain nn.LSTM step loop (the faster of oneDNN on and
   off), and re-running the model over the last 40 characters for every new
   character. Also the loss of stepping int8 vs float32 over dev text, to show that
   quantization keeps the quality.
3. Start-up: `seqcli --help`, and tagging one sentence with the built-in tagger.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import best_time, best_times, write  # noqa: E402
from seqcli.charlm import recipe  # noqa: E402
from seqcli.charlm.config import TRAINING, CharLMConfig  # noqa: E402
from seqcli.charlm.data import streams  # noqa: E402
from seqcli.charlm.decode import Stepper  # noqa: E402
from seqcli.charlm.model import CharLM  # noqa: E402
from seqcli.store import Store  # noqa: E402
from seqcli.vocab import Vocab, chars  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "shakespeare" / "train.txt"


def quality(seconds: float) -> tuple[dict, CharLM, Vocab]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp), builtin=None)
        settings = replace(TRAINING, time_budget=seconds)
        pos = recipe.train(
            [str(CORPUS)],
            name="bench",
            store=store,
            device=torch.device("cpu"),
            settings=settings,
            config=CharLMConfig(),
        )
        manifest, tensors = store.load("bench")
    model = CharLM.from_manifest(manifest)
    model.load_state_dict(tensors)
    record = {
        "bench": "charlm quality",
        "seconds": seconds,
        "val_loss": pos.best,
        "steps": pos.global_step,
        "tokens": pos.tokens,
        "config": manifest["config"],
    }
    return record, model.eval(), Vocab.from_dict(manifest["vocabs"]["chars"])


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
            logits, state = stepper.prime(x0[:, None])
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
    return [
        {
            "bench": "charlm generation",
            "streams": batch,
            "method": method,
            "chars_per_s": round(rate, 1),
            "seqcli_ratio": round(rates["seqcli"] / rate, 2),
        }
        for method, rate in rates.items()
    ]


@torch.no_grad()
def stepped_loss(model: CharLM, ids: torch.Tensor, quantize: bool) -> float:
    """Mean loss of stepping over ids cut into 4 streams (more than one row steps in
    torch, where int8 applies)."""
    data = streams(ids, 4)
    stepper = Stepper(model, quantize=quantize)
    logits, state = stepper.prime(data[:, :1])
    total = 0.0
    for t in range(1, data.size(1)):
        total += F.cross_entropy(logits, data[:, t]).item()
        logits, state = stepper.step(data[:, t], state)
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
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--chars", type=int, default=400)
    args = parser.parse_args()
    torch.set_num_threads(2)
    records = []
    if not args.skip_quality:
        record, model, vocab = quality(args.quality_seconds)
        records.append(record)
        print(record)
    else:
        model, vocab = default_model()
        manifest = Store().manifest("shakespeare")  # built the same way, same budget
        records.append(
            {
                "bench": "charlm quality",
                "source": "built-in model (build_defaults.py)",
                "seconds": manifest["training"]["settings"]["time_budget"],
                "val_loss": manifest["metrics"]["loss"],
                "steps": manifest["training"]["steps"],
                "config": manifest["config"],
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
    for record in startup():
        records.append(record)
        print(record)
    print("wrote", write("charlm", records))


if __name__ == "__main__":
    main()
