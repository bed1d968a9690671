"""Sampling from the char-LM: one character per step with the LSTM state carried.

On the CPU, stepping a batch of one is bound by reading the weights, so `Stepper`
repacks the LSTM for steps: the embedding is folded into the first layer's input
weights (a table lookup), each deeper layer does one matrix product over [input; h],
and the matrices are int8 (fbgemm dynamic quantization) where torch provides it.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from seqcli import int8
from seqcli.charlm import CharLM

Cell = list[tuple[torch.Tensor, torch.Tensor]]  # per layer (h, c), each (batch, hidden)


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


class Stepper:
    """Runs a CharLM one character at a time: prime over a text, then step."""

    def __init__(self, model: CharLM, quantize: bool = True):
        self.model = model
        self.cfg = model.cfg
        self.fast = next(model.parameters()).device.type == "cpu"
        if self.fast:
            self._pack(quantize)

    @torch.inference_mode()
    def prime(self, ids: torch.Tensor) -> tuple[torch.Tensor, Cell | tuple]:
        """Run over ids (batch, time); returns the last logits and the state."""
        logits, state, _ = self.model(ids)
        if self.fast:
            h, c = state
            state = [(h[i], c[i]) for i in range(self.cfg.layers)]
        return logits[:, -1], state

    @torch.inference_mode()
    def step(self, ids: torch.Tensor, state) -> tuple[torch.Tensor, Cell | tuple]:
        """One step for ids (batch,); returns logits (batch, vocab), new state."""
        if not self.fast:
            logits, state, _ = self.model(ids[:, None], state)
            return logits[:, -1], state
        new: Cell = []
        x = None
        for layer, (h, c) in enumerate(state):
            if layer == 0:
                # shape: (batch, 4 * hidden)
                gates = self.table[ids] + self.linears[0](h)
            else:
                gates = self.linears[layer](torch.cat([x, h], dim=1))
            n = self.cfg.hidden
            ifo = gates[:, : 3 * n].sigmoid()
            c = torch.addcmul(
                ifo[:, n : 2 * n] * c, ifo[:, :n], gates[:, 3 * n :].tanh()
            )
            x = ifo[:, 2 * n :] * c.tanh()
            new.append((x, c))
        return self.linears[-1](x), new

    def _pack(self, quantize: bool) -> None:
        lstm, n = self.model.lstm, self.cfg.hidden
        # PyTorch orders gates (i, f, g, o); (i, f, o, g) lets one sigmoid cover three
        order = torch.cat(
            [
                torch.arange(0, 2 * n),
                torch.arange(3 * n, 4 * n),
                torch.arange(2 * n, 3 * n),
            ]
        )
        self.linears = []
        for layer in range(self.cfg.layers):
            w_ih = getattr(lstm, f"weight_ih_l{layer}")[order]
            w_hh = getattr(lstm, f"weight_hh_l{layer}")[order]
            bias = (
                getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
            )[order]
            if layer == 0:
                # the input is one of V characters: precompute embedding @ W_ih + b
                # shape: (vocab, 4 * hidden)
                self.table = (self.model.embed.weight @ w_ih.T + bias).detach()
                self.linears.append(int8.linear(w_hh, None, quantize))
            else:
                weight = torch.cat([w_ih, w_hh], dim=1)
                self.linears.append(int8.linear(weight, bias, quantize))
        head = self.model.head
        self.linears.append(int8.linear(head.weight, head.bias, quantize))


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
