"""Sampling text from the char-LM: one character per step with the recurrent state
carried.

On the CPU a step is a few small matrix products, so `Stepper` repacks an LSTM for
steps: the embedding is folded into the first layer's input weights (a table
lookup), and each deeper layer does one matrix product over [input; h]. A single
row steps in numpy: OpenBLAS's matrix-vector product is about twice as fast here as
torch's float32 one and as fbgemm's int8 one. More rows step in torch, with int8
matrices (fbgemm dynamic quantization) where torch provides them. Other cells step
through the model's own forward over one character (oneDNN off for a few rows, where
its set-up costs more than the step).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from seqcli import cells, console, int8
from seqcli.charlm.model import CharLM
from seqcli.vocab import Vocab, chars

Cell = list[tuple]  # per layer (h, c), each (batch, hidden): tensors or numpy arrays


def filter_logits(
    logits: torch.Tensor, top_k: int = 0, top_p: float = 1.0
) -> torch.Tensor:
    """Set to -inf every logit outside the top k and outside the nucleus of mass top_p.

    Args:
        logits: (batch, vocab).
        top_k: keep the k largest (0 keeps all).
        top_p: keep the smallest set of largest logits whose probability reaches top_p.
    """
    if top_k and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs = sorted_logits.softmax(-1)
        # drop a token when the mass before it already reaches top_p (the first stays)
        drop = probs.cumsum(-1) - probs >= top_p
        logits = logits.masked_fill(drop.scatter(-1, order, drop), float("-inf"))
    return logits


def pick(
    logits: torch.Tensor,
    *,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Next ids (batch,) from logits (batch, vocab); temperature 0 is greedy."""
    if temperature == 0:
        return logits.argmax(-1)
    logits = filter_logits(logits.float() / temperature, top_k, top_p)
    # Gumbel-max: argmax(logits + Gumbel noise) is an exact sample of softmax(logits),
    # and cheaper than multinomial at one step per call; -log(Exp(1)) is Gumbel
    noise = torch.empty_like(logits).exponential_(generator=generator)
    return (logits - noise.clamp_min_(1e-30).log_()).argmax(-1)


def _numpy_sigmoid(x: np.ndarray) -> np.ndarray:
    s = np.tanh(x * 0.5)  # 1 / (1 + exp(-x)) would warn of overflow
    s *= 0.5
    s += 0.5
    return s


def _numpy_linear(weight: torch.Tensor, bias: torch.Tensor | None) -> Callable:
    weight = weight.detach().float().numpy().T
    if bias is None:
        return lambda x: x @ weight
    bias = bias.detach().float().numpy()
    return lambda x: x @ weight + bias


# sigmoid, tanh and concatenation, for numpy arrays and for torch tensors
NUMPY_OPS = (_numpy_sigmoid, np.tanh, np.concatenate)
TORCH_OPS = (torch.sigmoid, torch.tanh, torch.cat)


class Stepper:
    """Runs a CharLM one character at a time: prime over a text, then step."""

    def __init__(self, model: CharLM, quantize: bool = True):
        self.model = model
        self.cfg = model.cfg
        self.quantize = quantize
        cpu = next(model.parameters()).device.type == "cpu"
        self.fast = cpu and model.cfg.cell == "lstm"
        self.rows = 1
        self.numpy = False
        self._packs: dict[bool, tuple] = {}  # numpy or not → (table, linears)

    @torch.inference_mode()
    def prime(self, ids: torch.Tensor) -> tuple[torch.Tensor, Cell | tuple]:
        """Run over ids (batch, time); returns the last logits and the state.

        The steps that follow must have the same batch size.
        """
        self.numpy = self.fast and ids.size(0) == 1
        self.rows = ids.size(0)
        threads = torch.get_num_threads()
        if self.numpy:
            # OpenMP's workers would spin after a parallel run, slowing OpenBLAS's
            # threads through the first steps
            torch.set_num_threads(1)
        try:
            logits, state, _ = self.model(ids)
        finally:
            torch.set_num_threads(threads)
        if self.fast:
            if self.numpy not in self._packs:
                self._packs[self.numpy] = self._pack()
            h, c = (s.numpy() for s in state) if self.numpy else state
            state = [(h[i], c[i]) for i in range(self.cfg.layers)]
        return logits[:, -1], state

    @torch.inference_mode()
    def step(self, ids: torch.Tensor, state) -> tuple[torch.Tensor, Cell | tuple]:
        """One step for ids (batch,); returns logits (batch, vocab), new state."""
        if not self.fast:
            with cells.onednn_for(self.rows):
                logits, state, _ = self.model(ids[:, None], state)
            return logits[:, -1], state
        table, linears = self._packs[self.numpy]
        sigmoid, tanh, cat = NUMPY_OPS if self.numpy else TORCH_OPS
        n = self.cfg.hidden
        new: Cell = []
        x = None
        for layer, (h, c) in enumerate(state):
            if layer == 0:
                # shape: (batch, 4 * hidden)
                gates = table[ids.numpy() if self.numpy else ids] + linears[0](h)
            else:
                gates = linears[layer](cat([x, h], 1))
            ifo = sigmoid(gates[:, : 3 * n])
            c = ifo[:, n : 2 * n] * c + ifo[:, :n] * tanh(gates[:, 3 * n :])
            x = ifo[:, 2 * n :] * tanh(c)
            new.append((x, c))
        logits = linears[-1](x)
        return (torch.from_numpy(logits) if self.numpy else logits), new

    def _pack(self) -> tuple:
        """The step weights: a table of the first layer's input gates per character,
        and the layers' and the output's matrix products, in numpy or in torch."""
        if self.numpy:
            linear = _numpy_linear
        else:
            linear = functools.partial(int8.linear, quantize=self.quantize)
        lstm, n = self.model.rnn, self.cfg.hidden
        # PyTorch orders gates (i, f, g, o); (i, f, o, g) lets one sigmoid cover three
        order = torch.cat(
            [
                torch.arange(0, 2 * n),
                torch.arange(3 * n, 4 * n),
                torch.arange(2 * n, 3 * n),
            ]
        )
        linears = []
        for layer in range(self.cfg.layers):
            w_ih = getattr(lstm, f"weight_ih_l{layer}")[order]
            w_hh = getattr(lstm, f"weight_hh_l{layer}")[order]
            bias = (
                getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
            )[order]
            if layer == 0:
                # the input is one of V characters: precompute embedding @ W_ih + b
                # shape: (vocab, 4 * hidden)
                table = (self.model.embed.weight @ w_ih.T + bias).detach().float()
                linears.append(linear(w_hh, None))
            else:
                linears.append(linear(torch.cat([w_ih, w_hh], dim=1), bias))
        head = self.model.head
        linears.append(linear(head.weight, head.bias))
        return (table.numpy() if self.numpy else table), linears


@torch.inference_mode()
def generate(
    model: CharLM,
    prime_ids: list[int],
    *,
    length: int,
    samples: int = 1,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    seed: int | None = None,
    banned: list[int] = (),
    quantize: bool = True,
) -> Iterator[list[int]]:
    """Yield `length` steps of next-character ids, each a list of one id per sample.

    Args:
        prime_ids: the priming text's ids (at least one).
        banned: ids never to sample (the specials).
    """
    device = next(model.parameters()).device
    generator = torch.Generator(device)
    if seed is not None:
        generator.manual_seed(seed)
    else:
        generator.seed()
    model.eval()
    stepper = Stepper(model, quantize=quantize)
    ids = torch.tensor([prime_ids] * samples, device=device)
    # shape: (vocab,), added to every step's logits
    never = torch.zeros(model.cfg.vocab_size, device=device)
    never[list(banned)] = float("-inf")
    logits, state = stepper.prime(ids)
    for _ in range(length):
        logits = logits + never
        nxt = pick(
            logits,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            generator=generator,
        )
        yield nxt.tolist()
        logits, state = stepper.step(nxt, state)


@dataclass
class Sample:
    """What `sample_text` gives: the priming text as the model reads it (without
    characters it never saw), and per step one character per sample."""

    prime: str
    steps: Iterator[list[str]]
    samples: int

    def texts(self) -> list[str]:
        """Each sample's generated text (without the prime), once all steps ran."""
        texts: list[list[str]] = [[] for _ in range(self.samples)]
        for step in self.steps:
            for text, char in zip(texts, step, strict=True):
                text.append(char)
        return ["".join(t) for t in texts]

    def records(self) -> list[dict]:
        """{"sample", "prime", "text"} per sample, as `seqcli generate --json`
        writes them."""
        return [
            {"sample": k + 1, "prime": self.prime, "text": text}
            for k, text in enumerate(self.texts())
        ]


def sample_text(
    model: CharLM,
    manifest: dict,
    prime: str = "",
    *,
    length: int,
    samples: int = 1,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    seed: int | None = None,
) -> Sample:
    """Continue `prime` (characters the model never saw are skipped, with a
    warning); without one, start as a text would: after a newline, or after the
    commonest character."""
    vocab = Vocab.from_dict(manifest["vocabs"]["chars"])
    unknown = vocab.unknown(chars(prime))
    if unknown:
        console.warn(f"skipping characters the model never saw: {''.join(unknown)!r}")
    kept = "".join(c for c in prime if c in vocab)
    prime_ids = [vocab.stoi[c] for c in kept]
    if not prime_ids:
        prime_ids = [vocab.stoi.get("\n", len(vocab.to_dict()["specials"]))]
    steps = generate(
        model,
        prime_ids,
        length=length,
        samples=samples,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        seed=seed,
        banned=[vocab.pad_index, vocab.unk_index, vocab.bos_index, vocab.eos_index],
    )
    return Sample(kept, ([vocab.itos[i] for i in ids] for ids in steps), samples)
