"""Data-parallel training under torchrun, with PyTorch's own process group.

torchrun sets RANK, WORLD_SIZE and LOCAL_RANK; `setup` then joins the process group
(NCCL on CUDA, gloo on the CPU) and gives each process its device from LOCAL_RANK.
Without torchrun every function here is a cheap no-op for a single process.
"""

from __future__ import annotations

import os
import sys

import torch
import torch.distributed as dist

from seqcli import console
from seqcli.errors import SeqcliError


def launched() -> bool:
    """True when this process was started by torchrun with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def active() -> bool:
    return dist.is_available() and dist.is_initialized()


def setup(requested: str = "auto") -> torch.device:
    """Join the process group (once) and return this process's device.

    requested: "cpu" trains on the CPU (gloo); "auto" takes a GPU per process when
    there are enough of them for the processes on this node, else the CPU; "cuda"
    insists on the GPUs.
    """
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    per_node = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    cuda = requested != "cpu" and gpus >= per_node
    if requested.startswith("cuda") and not cuda:
        raise SeqcliError(
            f"torchrun starts {per_node} processes per node but {gpus} CUDA GPU(s) "
            "are visible: one GPU per process (--nproc_per_node), or --device cpu"
        )
    if requested not in ("auto", "cpu") and not requested.startswith("cuda"):
        raise SeqcliError(
            f"under torchrun the device is auto, cpu or cuda, not {requested!r}"
        )
    if not active():
        dist.init_process_group("nccl" if cuda else "gloo")
    if not is_main():
        console.quiet = True  # rank 0 reports for all; warnings still show
    if cuda:
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def finish(code: int) -> None:
    """Under torchrun, leave the process group once every rank is done, then end this
    process at once with `code`; without torchrun, nothing. Called after a run that
    ended well on all ranks (after a failure, the barrier could wait forever).

    Everything is saved by then. Left to the interpreter's own shutdown, gloo's C++
    worker threads can be torn down still joinable, and that rank aborts (SIGABRT,
    "terminate called without an active exception"), which fails the whole torchrun
    job; leaving the group first and then os._exit skip that shutdown.
    """
    if not active():
        return
    dist.barrier()
    dist.destroy_process_group()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def rank() -> int:
    return dist.get_rank() if active() else 0


def world_size() -> int:
    return dist.get_world_size() if active() else 1


def is_main() -> bool:
    return rank() == 0


def agree(flags: list[bool], device: torch.device) -> list[bool]:
    """Each flag made true on every rank if it is true on any rank, so that all ranks
    stop at the same step."""
    if not active():
        return flags
    value = torch.tensor([float(f) for f in flags], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return [bool(v) for v in value.tolist()]


def gather(tensor: torch.Tensor) -> list[torch.Tensor]:
    """Every rank's copy of an equally shaped tensor (e.g. per-rank RNG states)."""
    if not active():
        return [tensor]
    device = (
        torch.device("cuda", torch.cuda.current_device())
        if (dist.get_backend() == "nccl")
        else torch.device("cpu")
    )
    parts = [torch.empty_like(tensor, device=device) for _ in range(world_size())]
    dist.all_gather(parts, tensor.to(device))
    return [p.cpu() for p in parts]


def wrap(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """The model in DistributedDataParallel when running under torchrun."""
    if not active():
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)
