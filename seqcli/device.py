"""The one place that asks about hardware: device choice, mixed precision, seeding."""

from __future__ import annotations

import contextlib
import os
import random
import re
import sys
from typing import TYPE_CHECKING

from seqcli import console
from seqcli.errors import SeqcliError

if TYPE_CHECKING:
    import torch

# where a GPU driver shows itself: NVIDIA, AMD ROCm, WSL's GPU bridge
GPU_MARKERS = ("/dev/nvidiactl", "/proc/driver/nvidia", "/dev/kfd", "/dev/dxg")


# the device names there are (whether the device itself is there is known only
# when it is picked)
NAMES = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def _name(requested: str | None) -> str:
    return (requested or os.environ.get("SEQCLI_DEVICE") or "auto").strip().lower()


def check_name(requested: str | None = None) -> None:
    """Raise a SeqcliError unless --device / $SEQCLI_DEVICE names a device (without
    importing PyTorch)."""
    name = _name(requested)
    if not NAMES.fullmatch(name):
        source = "" if requested else " (from SEQCLI_DEVICE)"
        raise SeqcliError(
            f"unknown device {name!r}{source} (use auto, cpu, cuda, cuda:N or mps)"
        )


def cpu_only(requested: str | None = None) -> bool:
    """True when pick_device(requested) surely gives the CPU, known without importing
    PyTorch: the CPU was asked for, or auto finds no GPU driver (and no macOS MPS)."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # torchrun: pick_device decides
        return False
    name = _name(requested)
    if name == "cpu":
        return True
    return (
        name == "auto"
        and sys.platform != "darwin"
        and not any(os.path.exists(p) for p in GPU_MARKERS)
    )


def pick_device(requested: str | None = None) -> torch.device:
    """Resolve --device / $SEQCLI_DEVICE / auto to a device; report it on stderr.

    auto: the CUDA GPU with the most free memory, else Apple MPS, else the CPU.
    Under torchrun, each process takes the device of its LOCAL_RANK.
    """
    import torch

    from seqcli import distributed

    name = _name(requested)

    if distributed.launched():  # under torchrun: the device follows LOCAL_RANK
        device = distributed.setup(name)
        console.info(  # by rank 0 alone
            f"device: {device.type}, {distributed.world_size()} processes"
        )
        return device
    if name == "auto":
        device = _auto()
    else:
        try:
            device = torch.device(name)
        except RuntimeError:
            source = "" if requested else " (from SEQCLI_DEVICE)"
            raise SeqcliError(
                f"unknown device {name!r}{source} (use auto, cpu, cuda, cuda:N or mps)"
            ) from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise SeqcliError(
                f"device {name} was asked for, but no CUDA GPU is available"
            )
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
    import torch

    if torch.cuda.is_available():
        free = [torch.cuda.mem_get_info(i)[0] for i in range(torch.cuda.device_count())]
        return torch.device("cuda", max(range(len(free)), key=free.__getitem__))
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def autocast(device: torch.device):
    """bf16 mixed precision on CUDA; full precision elsewhere."""
    import torch

    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    torch.manual_seed(seed)  # seeds CUDA too
