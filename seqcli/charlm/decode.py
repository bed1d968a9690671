"""Sampling text from the char-LM: one character per step with the recurrent state
carried, the next character drawn in numpy (temperature, top-k, top-p).

A stepper runs the network: seqcli.charlm.numpy_model's NumpyLM (one stream of a
stored LSTM, without PyTorch), or seqcli.charlm.stepper's Stepper for a PyTorch model
(any cell, device and number of streams). Both give numpy logits, so a seed gives the
same text on every path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqcli import console
from seqcli.errors import SeqcliError
from seqcli.vocab import Vocab, chars


def filter_logits(logits: np.ndarray, top_k: int = 0, top_p: float = 1.0) -> np.ndarray:
    """Set to -inf every logit outside the top k and outside the nucleus of mass top_p.

    Args:
        logits: (batch, vocab).
        top_k: keep the k largest (0 keeps all).
        top_p: keep the smallest set of largest logits whose probability reaches top_p.
    """
    if top_k and top_k < logits.shape[-1]:
        kth = np.partition(logits, -top_k, axis=-1)[:, -top_k:].min(-1, keepdims=True)
        logits = np.where(logits < kth, -np.inf, logits)
    if top_p < 1.0:
        order = np.argsort(-logits, axis=-1, kind="stable")
        ordered = np.take_along_axis(logits, order, -1)
        probs = np.exp(ordered - ordered[:, :1])
        probs /= probs.sum(-1, keepdims=True)
        # drop a token when the mass before it already reaches top_p (the first
        # stays); within rounding of top_p counts as reaching it
        drop = np.cumsum(probs, -1) - probs >= top_p - 1e-6
        mask = np.empty_like(drop)
        np.put_along_axis(mask, order, drop, -1)
        logits = np.where(mask, -np.inf, logits)
    return logits


def pick(
    logits: np.ndarray,
    *,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    rng: np.random.Generator,
) -> np.ndarray:
    """Next ids (batch,) from logits (batch, vocab); temperature 0 is greedy."""
    if temperature == 0:
        return logits.argmax(-1)
    logits = filter_logits(logits.astype(np.float64) / temperature, top_k, top_p)
    # Gumbel-max: argmax(logits + Gumbel noise) is an exact sample of softmax(logits);
    # -log(Exp(1)) is Gumbel
    noise = np.log(np.maximum(rng.standard_exponential(logits.shape), 1e-300))
    return (logits - noise).argmax(-1)


def stepper_of(model: Any, quantize: bool = True) -> Any:
    """The stepper of a model: a NumpyLM is its own; a PyTorch CharLM gets one."""
    if hasattr(model, "prime"):
        return model
    from seqcli.charlm.stepper import Stepper

    model.eval()
    return Stepper(model, quantize=quantize)


def generate(
    model: Any,
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
        model: a CharLM, or a NumpyLM.
        prime_ids: the priming text's ids (at least one).
        banned: ids never to sample (the specials).
    """
    rng = np.random.default_rng(seed)
    stepper = stepper_of(model, quantize)
    # shape: (vocab,), added to every step's logits
    never = np.zeros(model.cfg.vocab_size, dtype=np.float32)
    never[list(banned)] = -np.inf
    logits, state = stepper.prime(np.array([prime_ids] * samples, dtype=np.int64))
    for _ in range(length):
        nxt = pick(
            logits + never,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            rng=rng,
        )
        yield nxt.tolist()
        logits, state = stepper.step(nxt, state)


@dataclass
class Sample:
    """What `sample_text` gives: the priming text as given (characters the model
    never saw included, though it skips them), and per step one character per
    sample."""

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
    model: Any,
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
    if manifest["config"].get("direction") == "backward":
        raise SeqcliError(
            f"{manifest.get('name', 'this model')!r} is a backward char-LM (it reads "
            "text right to left): it gives a tagger context features "
            "(`train tagger --lm`), it does not generate"
        )
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
    return Sample(prime, ([vocab.itos[i] for i in ids] for ids in steps), samples)
