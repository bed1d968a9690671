"""The resumable state of a training: the weights (and their moving average), the
optimizer's moments, every rank's RNG states, the data position and what a task
carries from step to step; written by seqcli.train.fit, read back by --resume."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch

from seqcli import console, distributed
from seqcli.errors import SeqcliError


@dataclass
class Position:
    epoch: int = 0
    step: int = 0  # steps done in this epoch
    global_step: int = 0
    elapsed: float = 0.0  # training seconds, over all runs
    tokens: int = 0
    best: float | None = None
    bad_evals: int = 0
    history: list[dict] = field(default_factory=list)
    stopped: str = ""  # why the last run stopped


def write_state(store, name, model, opt, task, pos, manifest, cfg, averaged) -> None:
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    if averaged is not None:
        tensors |= {f"ema.{k}": v for k, v in averaged.state_dict().items()}
    opt_state = opt.state_dict()
    scalars: dict[str, dict] = {}
    for index, values in opt_state["state"].items():
        for key, value in values.items():
            if torch.is_tensor(value):
                tensors[f"optim.{index}.{key}"] = value
            else:
                scalars.setdefault(str(index), {})[key] = value
    # every rank's RNG states, so that each resumes its own dropout masks
    for i, rng in enumerate(distributed.gather(torch.get_rng_state())):
        tensors[f"rng.torch.{i}"] = rng
    if torch.cuda.is_available():
        for i, rng in enumerate(distributed.gather(torch.cuda.get_rng_state())):
            tensors[f"rng.cuda.{i}"] = rng
    for key, value in task.state_tensors().items():  # e.g. carried LSTM states
        for i, part in enumerate(distributed.gather(value)):
            tensors[f"task.{i}.{key}"] = part
    meta = {
        "manifest": manifest,
        "settings": asdict(cfg),
        "position": asdict(pos),
        "optimizer": {"param_groups": opt_state["param_groups"], "scalars": scalars},
    }
    if distributed.is_main():
        store.save_state(name, tensors, meta)


def read_state(store, name, model, opt, task, device, averaged, digest) -> Position:
    meta, tensors = store.load_state(name)
    if meta["manifest"].get("training", {}).get("sha256") != digest:
        raise SeqcliError(
            f"the training data differs from the one {name!r} was trained on; "
            "resume needs the same files"
        )

    def part(prefix: str) -> dict:
        return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}

    saved_ema = meta["settings"].get("ema", 0.0)
    if (averaged is None) != (not saved_ema):
        raise SeqcliError(
            f"{name} was trained with --ema {saved_ema:g}: resume with the same --ema"
        )
    model.load_state_dict(part("model."))
    if averaged is not None:
        averaged.load_state_dict(part("ema."))
    state: dict[int, dict] = {}
    for key, value in part("optim.").items():
        index, field_name = key.split(".", 1)
        state.setdefault(int(index), {})[field_name] = value
    for index, values in meta["optimizer"]["scalars"].items():
        state.setdefault(int(index), {}).update(values)
    opt.load_state_dict(
        {"state": state, "param_groups": meta["optimizer"]["param_groups"]}
    )
    rank = distributed.rank()
    torch.set_rng_state(tensors.get(f"rng.torch.{rank}", tensors["rng.torch.0"]))
    if "rng.cuda.0" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors.get(f"rng.cuda.{rank}", tensors["rng.cuda.0"]))
    task.load_state_tensors({k: v.to(device) for k, v in part(f"task.{rank}.").items()})
    pos = Position(**meta["position"])
    pos.stopped = ""
    console.info(
        f"resuming {name} at epoch {pos.epoch + 1}, step {pos.global_step} "
        f"({pos.elapsed:.0f}s trained)"
    )
    return pos
