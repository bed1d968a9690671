"""Sampling text from the char-LM: one character per step with the recurrent state
carried, the next character drawn in numpy (temperature, top-k, top-p).

A stepper runs the network: seqcli.charlm.numpy_model's NumpyLM (one stream of a
stored LSTM, without PyTorch), or seqcli.charlm.stepper's Stepper for a PyTorch model
(any cell, device and number of streams). Both give numpy logits, so a seed gives the
same text on every path.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqcli import console
from seqcli.charlm.units import Units
from seqcli.errors import SeqcliError
from seqcli.manifest import Manifest


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
    stop: str = "",
    pieces: Sequence[str] = (),
) -> Iterator[list[int | None]]:
    """Yield up to `length` steps of next-character ids, each a list of one id per
    sample (None for a sample that has ended).

    Args:
        model: a CharLM, or a NumpyLM.
        prime_ids: the priming text's ids (at least one).
        banned: ids never to sample (the specials).
        stop: a sample whose text ends with this ends there (`pieces`: the text
            of each id); the steps end when every sample has.
    """
    rng = np.random.default_rng(seed)
    stepper = stepper_of(model, quantize)
    # shape: (vocab,), added to every step's logits
    never = np.zeros(model.cfg.vocab_size, dtype=np.float32)
    never[list(banned)] = -np.inf
    logits, state = stepper.prime(np.array([prime_ids] * samples, dtype=np.int64))
    tails = [""] * samples  # each sample's last characters
    ended = [False] * samples
    for _ in range(length):
        nxt = pick(
            logits + never,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            rng=rng,
        )
        yield [None if done else i for done, i in zip(ended, nxt.tolist(), strict=True)]
        if stop:
            for k, i in enumerate(nxt.tolist()):
                tails[k] = (tails[k] + pieces[i])[-len(stop) :]
                ended[k] = ended[k] or tails[k] == stop
            if all(ended):
                return
        logits, state = stepper.step(nxt, state)


def reorder(state: Any, rows: np.ndarray) -> Any:
    """The state of the streams `rows` (ids into the batch), from any stepper: per
    layer (h, c) pairs of (batch, hidden) rows, or PyTorch's (layers, batch, hidden)
    tensors."""
    if isinstance(state, list):  # the packed LSTM's, numpy or torch
        return [tuple(x[_index(x, rows)] for x in layer) for layer in state]
    return tuple(x[:, _index(x, rows)] for x in state)


def _index(x: Any, rows: np.ndarray) -> Any:
    if isinstance(x, np.ndarray):
        return rows
    import torch

    return torch.as_tensor(rows, device=x.device)


def repeated(history: np.ndarray, n: int) -> list[set[int]]:
    """For each row of ids (beams, time), the ids that would complete an n-gram the
    row already holds (the guard against repetition: --no-repeat-ngram)."""
    found: list[set[int]] = []
    for row in history.tolist():
        if n <= 0 or len(row) < n:
            found.append(set())
            continue
        tail = tuple(row[len(row) - n + 1 :]) if n > 1 else ()
        found.append(
            {
                row[i + n - 1]
                for i in range(len(row) - n + 1)
                if tuple(row[i : i + n - 1]) == tail
            }
        )
    return found


def beam_search(
    model: Any,
    prime_ids: list[int],
    *,
    length: int,
    beam: int,
    no_repeat: int = 0,
    temperature: float = 1.0,
    sample: bool = False,
    seed: int | None = None,
    banned: list[int] = (),
    stop: str = "",
    pieces: Sequence[str] = (),
) -> tuple[list[int], float]:
    """The likeliest continuation of `length` ids that a beam finds: (ids, mean
    log-probability per id under the model).

    The `beam` streams are stepped as one batch, their states carried. Each step
    every beam's candidates are scored by their summed log-probability; the best
    `beam` go on, or, with `sample`, `beam` drawn without replacement from the
    tempered scores (Gumbel top-k, seeded: stochastic beam search, Kool et al. 2019).
    no_repeat: no n-gram of this many ids twice in a continuation (0: allowed).
    stop: a continuation whose text ends with this is finished there (`pieces`:
    the text of each id). Finished ones
    are compared with the rest by their mean log-probability per id, so that a
    short one does not win by having fewer terms.
    """
    rng = np.random.default_rng(seed)
    stepper = stepper_of(model)
    never = np.zeros(model.cfg.vocab_size)
    never[list(banned)] = -np.inf
    logits, state = stepper.prime(np.array([prime_ids] * beam, dtype=np.int64))
    # at first every beam holds the same prime: only the first one expands
    scores = np.full(beam, -np.inf)
    scores[0] = 0.0
    history = np.zeros((beam, 0), dtype=np.int64)
    prime = np.array([prime_ids] * beam, dtype=np.int64)
    tails = [""] * beam  # each beam's last characters
    best: tuple[float, list[int]] = (-np.inf, [])
    for t in range(length):
        logp = _log_softmax(logits.astype(np.float64)) + never
        if no_repeat:
            context = np.concatenate([prime, history], 1)
            for row, ids in enumerate(repeated(context, no_repeat)):
                logp[row, list(ids)] = -np.inf
        total = (scores[:, None] + logp).ravel()
        keys = total
        if sample:
            noise = -np.log(np.maximum(rng.standard_exponential(total.shape), 1e-300))
            keys = total / max(temperature, 1e-6) + noise
        keys = np.where(np.isfinite(total), keys, -np.inf)
        chosen = np.argsort(-keys, kind="stable")[:beam]
        rows, ids = np.divmod(chosen, logp.shape[1])
        scores = total[chosen]
        history = np.concatenate([history[rows], ids[:, None]], 1)
        prime = prime[rows]
        if stop:
            tails = [
                (tails[r] + pieces[i])[-len(stop) :]
                for r, i in zip(rows.tolist(), ids.tolist(), strict=True)
            ]
            done = [
                k for k in range(beam) if np.isfinite(scores[k]) and tails[k] == stop
            ]
            for k in done:
                mean = scores[k] / (t + 1)
                if mean > best[0]:
                    best = (mean, history[k].tolist())
                scores[k] = -np.inf  # finished: it expands no more
            if not np.isfinite(scores).any():
                return best[1], best[0]
        state = reorder(state, rows)
        logits, state = stepper.step(ids, state)
    k = int(np.argmax(scores))
    if length and np.isfinite(scores[k]) and scores[k] / length > best[0]:
        best = (scores[k] / length, history[k].tolist())
    return best[1], (best[0] if best[1] else 0.0)


def _log_softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


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
    stop: str = "",
    beam: int = 0,
    no_repeat: int = 0,
    beam_sample: bool = False,
) -> Sample:
    """Continue `prime` (characters the model never saw are skipped, with a
    warning); without one, start as a text would: after a newline, or after the
    commonest character.

    stop: a sample ends once it has written this text. beam: search for the
    likeliest continuation with this many beams (see `beam_search`; one sample,
    which comes once the search is done), `no_repeat` and `beam_sample` its
    guard and its sampled variant (at `temperature`)."""
    manifest = Manifest.of(manifest)
    if manifest.direction == "backward":
        raise SeqcliError(
            f"{manifest.name!r} is a backward char-LM (it reads "
            "text right to left): it gives a tagger context features "
            "(`train tagger --lm`), it does not generate"
        )
    vocab = manifest.vocab("chars")
    reader = Units.from_manifest(manifest)
    split = reader.split(prime)  # a word a model has not kept whole, in characters
    unknown = vocab.unknown(split)
    if unknown:
        console.warn(f"skipping characters the model never saw: {''.join(unknown)!r}")
    prime_ids = [vocab.stoi[u] for u in split if u in vocab.stoi]
    if not prime_ids:
        prime_ids = [vocab.stoi.get("\n", len(vocab.to_dict()["specials"]))]
    pieces = [reader.piece(u) for u in vocab.itos]
    unwritten = [c for c in dict.fromkeys(stop) if c not in "".join(pieces[4:])]
    if unwritten:
        raise SeqcliError(
            f"the stop text holds characters the model never writes: {unwritten}"
        )
    banned = [vocab.pad_index, vocab.unk_index, vocab.bos_index, vocab.eos_index]
    if beam:
        ids, _ = beam_search(
            model,
            prime_ids,
            length=length,
            beam=beam,
            no_repeat=no_repeat,
            temperature=temperature,
            sample=beam_sample,
            seed=seed,
            banned=banned,
            stop=stop,
            pieces=pieces,
        )
        return Sample(prime, iter([[pieces[i]] for i in ids]), 1)
    steps = generate(
        model,
        prime_ids,
        length=length,
        samples=samples,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        seed=seed,
        banned=banned,
        stop=stop,
        pieces=pieces,
    )
    return Sample(
        prime,
        (["" if i is None else pieces[i] for i in ids] for ids in steps),
        samples,
    )
