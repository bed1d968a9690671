"""Build the default models that ship inside the package (seqcli/defaults/).

    python scripts/build_defaults.py charlm [--time-budget 600]

Needs the real corpora in ../shared/corpora (beside the project). Each model is
trained with seqcli's own training code into a temporary store, its weights are
converted to float16 (half the size; the dev metric is measured again after the
conversion), and it is written to seqcli/defaults/NAME with the training data and
license recorded in its manifest.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEFAULTS = ROOT / "seqcli" / "defaults"
sys.path.insert(0, str(ROOT))


def corpus(*parts: str) -> Path:
    path = SHARED.joinpath("corpora", *parts)
    if not path.exists():
        sys.exit(
            f"error: {path} is missing: the default models are built from ../shared"
        )
    return path


def export(store, name: str, data: dict, evaluate) -> None:
    """Copy a trained model into the package with float16 weights, re-measured."""
    from seqcli.store import Store

    manifest, tensors = store.load(name)
    half = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
    metrics = evaluate(
        {k: v.float() if v.is_floating_point() else v for k, v in half.items()}
    )
    manifest["metrics_float32"] = manifest["metrics"]
    manifest["metrics"] = metrics
    manifest["data"] = data
    manifest["weights_dtype"] = "float16"
    for key in ("format", "weights", "name", "created", "versions"):
        manifest.pop(key, None)
    Store(DEFAULTS, builtin=None).save(name, half, manifest)
    print(f"{name}: {metrics} (float32: {manifest['metrics_float32']})")


def build_charlm(args) -> None:
    import torch

    from seqcli import charlm
    from seqcli.config import TRAIN_DEFAULTS, CharLMConfig
    from seqcli.device import pick_device
    from seqcli.store import Store
    from seqcli.train import TrainConfig
    from seqcli.vocab import Vocab, chars

    text_path = corpus("shakespeare", "train.txt")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp), builtin=None)
        settings = TrainConfig(**TRAIN_DEFAULTS["charlm"], time_budget=args.time_budget)
        charlm.train(
            [str(text_path)],
            name="shakespeare",
            store=store,
            device=pick_device(),
            settings=settings,
            config=CharLMConfig(),
        )
        manifest = store.manifest("shakespeare")
        vocab = Vocab.from_dict(manifest["vocabs"]["chars"])
        text = text_path.read_text(encoding="utf-8")
        dev = torch.tensor(vocab.encode(chars(text[int(len(text) * 0.95) :])))

        def evaluate(tensors):
            model = charlm.from_manifest(manifest)
            model.load_state_dict(tensors)
            return charlm.lm_metrics(charlm.lm_loss(model.eval(), dev))

        export(
            store,
            "shakespeare",
            {
                "corpus": "Tiny Shakespeare, train part (first 90%)",
                "license": "public domain text",
                "dev": "the last 5% of that train part (held out from training)",
                "time_budget_seconds": args.time_budget,
            },
            evaluate,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=["charlm"])
    parser.add_argument("--time-budget", type=float, default=600)
    args = parser.parse_args()
    {"charlm": build_charlm}[args.kind](args)


if __name__ == "__main__":
    main()
