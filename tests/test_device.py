import pytest
import torch

from seqcli import device as dev
from seqcli.errors import SeqcliError


@pytest.fixture
def gpus(monkeypatch):
    """Pretend there are CUDA GPUs with the given free memory (bytes)."""

    def fake(free: list[int], mps: bool = False):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: bool(free))
        monkeypatch.setattr(torch.cuda, "device_count", lambda: len(free))
        monkeypatch.setattr(torch.cuda, "mem_get_info", lambda i: (free[i], 80 << 30))
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)

    monkeypatch.delenv("SEQCLI_DEVICE", raising=False)
    return fake


def test_auto_picks_the_gpu_with_most_free_memory(gpus, capsys):
    gpus([1 << 30, 9 << 30, 4 << 30])
    assert dev.pick_device() == torch.device("cuda", 1)
    assert "device: cuda:1" in capsys.readouterr().err


def test_auto_falls_back_to_mps_then_cpu(gpus):
    gpus([], mps=True)
    assert dev.pick_device("auto") == torch.device("mps")
    gpus([], mps=False)
    assert dev.pick_device("auto") == torch.device("cpu")


def test_flag_beats_environment_and_environment_beats_auto(gpus, monkeypatch):
    gpus([1 << 30, 2 << 30])
    monkeypatch.setenv("SEQCLI_DEVICE", "cuda:0")
    assert dev.pick_device() == torch.device("cuda", 0)
    assert dev.pick_device("cpu") == torch.device("cpu")


def test_unavailable_or_unknown_devices_are_clear_errors(gpus):
    gpus([])
    with pytest.raises(SeqcliError, match="no CUDA GPU"):
        dev.pick_device("cuda")
    with pytest.raises(SeqcliError, match="mps"):
        dev.pick_device("mps")
    with pytest.raises(SeqcliError, match="unknown device 'tpu'"):
        dev.pick_device("tpu")
    gpus([1 << 30])
    with pytest.raises(SeqcliError, match="only 1 CUDA"):
        dev.pick_device("cuda:3")


def test_autocast_is_bf16_on_cuda_only():
    ctx = dev.autocast(torch.device("cuda", 0))
    assert isinstance(ctx, torch.autocast) and ctx.fast_dtype == torch.bfloat16
    assert not isinstance(dev.autocast(torch.device("cpu")), torch.autocast)


@pytest.fixture
def torchrun(monkeypatch):
    """Pretend to be process LOCAL_RANK of `per_node` started by torchrun."""
    from seqcli import distributed

    joined = []
    monkeypatch.setattr(distributed, "active", lambda: False)
    monkeypatch.setattr(distributed.dist, "init_process_group", joined.append)
    monkeypatch.setattr(torch.cuda, "set_device", lambda i: None)

    def start(local_rank: int, per_node: int) -> list[str]:
        monkeypatch.setenv("WORLD_SIZE", str(per_node))
        monkeypatch.setenv("LOCAL_WORLD_SIZE", str(per_node))
        monkeypatch.setenv("LOCAL_RANK", str(local_rank))
        return joined

    return start


def test_under_torchrun_each_process_takes_its_own_gpu(gpus, torchrun):
    gpus([1 << 30, 1 << 30])
    joined = torchrun(1, per_node=2)
    assert dev.pick_device() == torch.device("cuda", 1)
    assert joined == ["nccl"]


def test_under_torchrun_too_few_gpus_means_the_cpu_or_an_error(gpus, torchrun):
    gpus([1 << 30])  # one GPU, two processes: they cannot share it
    joined = torchrun(1, per_node=2)
    assert dev.pick_device("auto") == torch.device("cpu")
    assert dev.pick_device("cpu") == torch.device("cpu")
    assert joined == ["gloo", "gloo"]
    with pytest.raises(SeqcliError, match="2 processes per node but 1 CUDA GPU"):
        dev.pick_device("cuda")
