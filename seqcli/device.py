"""The one place that asks about hardware: device choice, mixed precision, seeding."""

from __future__ import annotations

import contextlib
import os
import random

import torch

from seqcli import console
from seqcli.errors import SeqcliError


def pick_device(requested: str | None = None) -> torch.device:
    """Resolve --device / $SEQCLI_DEVICE / auto to a device; report it on stderr.

    auto: the CUDA GPU with the most free memory, else Apple MPS, else the CPU.
    Under torchrun, each process takes the device of its LOCAL_RANK.
    """
    name = (requested or os.environ.get("SEQCLI_DEVICE") or "auto").strip().lower()
    from seqcli import distributed

    if distributed.launched():  # under torchrun: the device follows LOCAL_RANK
        device = distributed.setup()
        console.info(
            f"device: {device} (rank {distributed.rank()} of "
            f"{distributed.world_size()})"
        )
        return device
    if name == "auto":
        device = _auto()
    else:
        try:
            device = torch.device(name)
        except RuntimeError:
            raise SeqcliError(
                f"unknown device {name!r} (use auto, cpu, cuda, cuda:N or mps)"
            ) from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise SeqcliError("device cuda was asked for, but no CUDA GPU is available")
        if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
            raise SeqcliError(
                f"device {name} was asked for, but only "
                f"{torch.cuda.device_count()} CUDA GPU(s) are visible"
            )
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise SeqcliError(
                "device mps was asked for, but Apple MPS is not available"
            )
    console.info(f"device: {device}")
    return device


def _auto() -> torch.device:
    if torch.cuda.is_available():
        free = [torch.cuda.mem_get_info(i)[0] for i in range(torch.cuda.device_count())]
        return torch.device("cuda", max(range(len(free)), key=free.__getitem__))
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def autocast(device: torch.device):
    """bf16 mixed precision on CUDA; full precision elsewhere."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)  # seeds CUDA too
