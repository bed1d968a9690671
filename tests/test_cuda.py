"""The CUDA path on real hardware: each kind trains on the GPU through the CLI, and
the GPU's results agree with the CPU's. Skipped where no CUDA GPU is visible."""

import json
from pathlib import Path

import pytest
import torch

from seqcli.cli import cli
from seqcli.tagger.crf import CRF

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU"
)
CORPORA = Path(__file__).resolve().parents[1] / "corpora"
CUDA = torch.device("cuda")


def invoke(runner, command: str, *paths, input=None):
    """`seqcli COMMAND PATHS...`; fails the test on a non-zero exit."""
    args = command.split() + [str(p) for p in paths]
    result = runner.invoke(cli, args, input=input)
    assert result.exit_code == 0, result.output
    return result.stdout


def on_both(runner, command: str, input: str) -> str:
    """The command's stdout on the GPU, checked equal to its stdout on the CPU."""
    out = {
        d: invoke(runner, f"{command} --device {d}", input=input)
        for d in ("cuda", "cpu")
    }
    assert out["cuda"] == out["cpu"]
    return out["cuda"]


def test_crf_forward_algorithm_and_viterbi_agree_with_the_cpu():
    torch.manual_seed(0)
    crf = CRF(7)
    emissions = torch.randn(16, 12, 7, dtype=torch.float64)
    tags = torch.randint(0, 7, (16, 12))
    mask = torch.arange(12)[None] < torch.randint(1, 13, (16, 1))
    crf = crf.double()
    emissions.requires_grad_()
    cpu_ll = crf.log_likelihood(emissions, tags, mask)
    (cpu_grad,) = torch.autograd.grad(cpu_ll.sum(), emissions)
    cpu_paths, cpu_scores = crf.decode(emissions.detach(), mask)

    gpu = CRF(7).double().to(CUDA)
    gpu.load_state_dict(crf.state_dict())
    gpu_emissions = emissions.detach().to(CUDA).requires_grad_()
    gpu_ll = gpu.log_likelihood(gpu_emissions, tags.to(CUDA), mask.to(CUDA))
    (gpu_grad,) = torch.autograd.grad(gpu_ll.sum(), gpu_emissions)
    gpu_paths, gpu_scores = gpu.decode(gpu_emissions.detach(), mask.to(CUDA))

    torch.testing.assert_close(gpu_ll.cpu(), cpu_ll.detach())
    torch.testing.assert_close(gpu_grad.cpu(), cpu_grad)
    assert torch.equal(gpu_paths.cpu(), cpu_paths)
    torch.testing.assert_close(gpu_scores.cpu(), cpu_scores)


@pytest.mark.slow  # trainings through the CLI: seconds each
def test_translator_trained_on_cuda_learns_and_decodes_alike_on_both(runner):
    phrases = CORPORA / "phrases.tsv"
    invoke(
        runner,
        "train translator --name phr --embedding 48 --hidden 96 --batch-size 32 "
        "--epochs 4 --lr 0.01 --warmup 10 --device cuda --pairs",
        phrases,
    )
    lines = "A man is riding a horse on the beach.\nA dog is running.\n"
    found = on_both(runner, "translate -m phr --beam 1", lines)
    assert found.splitlines()[1].startswith("Ein Hund")
    scores = invoke(runner, "eval -m phr --device cuda --json --pairs", phrases)
    assert json.loads(scores)["bleu"] > 60


@pytest.mark.slow
def test_tagger_trained_on_cuda_tags_alike_on_both(runner):
    conll = CORPORA / "ner.conll"
    invoke(
        runner,
        "train tagger --name ner --embedding 24 --hidden 32 --batch-size 16 "
        "--lr 0.02 --warmup 10 --epochs 8 --device cuda --dev",
        conll,
        conll,
    )
    text = "Anna Berg flew from Oslo to Lima on Monday.\n"
    on_both(runner, "tag -m ner --format jsonl", text)
    scores = invoke(runner, "eval -m ner --device cuda --json", conll)
    assert json.loads(scores)["f1"] > 0.8


@pytest.mark.slow
@pytest.mark.parametrize("cell", ["lstm", "gru", "mingru"])
def test_charlm_trained_on_cuda_generates_with_a_seed(runner, cell):
    story = CORPORA / "story.txt"
    invoke(
        runner,
        "train charlm --name lm --hidden 128 --batch-size 16 --lr 0.004 --epochs 4 "
        f"--device cuda --force --cell {cell}",
        story,
    )
    generate = "generate -m lm --device cuda -n 300 --seed 7 --prime THE"
    runs = [invoke(runner, generate) for _ in range(2)]
    assert runs[0] == runs[1] and len(runs[0]) >= 300
    scores = invoke(runner, "eval -m lm --device cuda --json", story)
    assert json.loads(scores)["bpc"] < 3.0
