"""Entity-level scores computed exactly as conlleval.pl does.

``score`` replays conlleval's per-token loop over the gold and predicted label
sequences, with a sentence boundary (``O``/``O``, not counted as a token)
after each sentence, as the blank lines of a conlleval input file give. An
entity ("chunk") starts and ends where conlleval's ``startOfChunk`` and
``endOfChunk`` say; a predicted chunk counts as correct only if its start, end
and type all match a gold chunk.

The chunk rules are those of conlleval.pl (version 2004-01-26) extended for
BIOES tags (``S-`` and ``E-`` followed by ``B-``), as in the widely used
BIOES-aware conlleval and seqeval's default mode. On any input without an
``S-`` tag and without ``E-`` directly followed by ``B-`` (all IOB1, IOB2 and
IOE input) they are conlleval.pl's rules unchanged. L- and U- prefixes are read
as E- and S-. As in conlleval the type is everything after the first ``-``.

Scores are fractions in 0..1 (conlleval prints percentages; ``format_report``
gives its text). ``precision = correct / predicted``,
``recall = correct / gold``, ``f1 = 2PR / (P + R)``, each 0.0 when undefined.
``accuracy`` is conlleval's token accuracy: the share of tokens whose
predicted label equals the gold label.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

_LETTERS = {"L": "E", "U": "S"}
_BOUNDARY = ("O", "", "O", "", False)


def _split(label: str) -> tuple[str, str]:
    # conlleval: /^([^-]*)-(.*)$/ gives tag and type, else the label is the tag.
    tag, dash, kind = label.partition("-")
    if not dash:
        return label, ""
    return _LETTERS.get(tag, tag), kind


def _end_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    """conlleval's endOfChunk: did a chunk end between prev and current?"""
    return (
        (prev_tag in ("B", "I") and tag in ("B", "S", "O"))
        or (prev_tag in ("E", "S") and tag in ("B", "I", "E", "S", "O"))
        or (prev_tag not in ("O", ".") and prev_type != type_)
        or prev_tag in ("[", "]")
    )


def _start_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    """conlleval's startOfChunk: did a chunk start at the current token?"""
    return (
        (tag in ("B", "S") and prev_tag in ("B", "I", "E", "S", "O"))
        or (tag == "I" and prev_tag in ("E", "S", "O"))
        or (tag == "E" and prev_tag in ("E", "S", "O"))
        or (tag not in ("O", ".") and prev_type != type_)
        or tag in ("[", "]")
    )


def chunks(labels: Sequence[str]) -> list[tuple[int, int, str]]:
    """Return the chunks conlleval sees in one sentence.

    Args:
        labels: tags of one sentence.

    Returns:
        ``(start, end, type)`` triples, end exclusive, in order.
    """
    found: list[tuple[int, int, str]] = []
    start: int | None = None
    prev_tag, prev_type = "O", ""
    for i, label in enumerate([*labels, "O"]):
        tag, kind = _split(label)
        if start is not None and _end_of_chunk(prev_tag, tag, prev_type, kind):
            found.append((start, i, prev_type))
            start = None
        if _start_of_chunk(prev_tag, tag, prev_type, kind):
            if start is not None:  # only for tags conlleval does not know
                found.append((start, i, prev_type))
            start = i
        prev_tag, prev_type = tag, kind
    if start is not None:
        found.append((start, len(labels), prev_type))
    return found


def _steps(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]
) -> Iterator[tuple[str, str, str, str, bool]]:
    # (correct, correct type, guessed, guessed type, counts as a token)
    for n, (g_seq, p_seq) in enumerate(zip(gold, pred, strict=True)):
        if len(g_seq) != len(p_seq):
            raise ValueError(
                f"sentence {n}: {len(g_seq)} gold labels but {len(p_seq)} predicted"
            )
        for g, p in zip(g_seq, p_seq, strict=True):
            yield (*_split(g), *_split(p), True)
        yield _BOUNDARY


def prf(correct: int, predicted: int, support: int) -> dict[str, float]:
    """Precision, recall and F1 from chunk counts (0 where undefined)."""
    precision = correct / predicted if predicted else 0.0
    recall = correct / support if support else 0.0
    total = precision + recall
    f1 = 2 * precision * recall / total if total else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def score(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Score predicted entities against gold ones, as conlleval does.

    Args:
        gold: gold label lists, one per sentence.
        pred: predicted label lists, aligned with ``gold``.

    Returns:
        A dict with fractions ``precision``, ``recall``, ``f1``, ``accuracy``;
        counts ``correct`` (matching chunks), ``predicted``, ``support`` (gold
        chunks), ``tokens``, ``correct_tokens``; and ``per_type``:
        ``{type: {precision, recall, f1, correct, predicted, support}}`` for
        every type seen in gold or predictions, sorted by name.

    Raises:
        ValueError: if the sentence counts or any sentence lengths differ.
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sentences but {len(pred)} predicted")
    correct_chunk: Counter[str] = Counter()
    found_correct: Counter[str] = Counter()
    found_guessed: Counter[str] = Counter()
    correct_tags = tokens = 0
    in_correct = False
    last_correct, last_correct_type = "O", ""
    last_guessed, last_guessed_type = "O", ""
    # Variable names follow conlleval.pl so the loop can be checked line by line.
    for correct, correct_type, guessed, guessed_type, is_token in _steps(gold, pred):
        gold_end = _end_of_chunk(last_correct, correct, last_correct_type, correct_type)
        pred_end = _end_of_chunk(last_guessed, guessed, last_guessed_type, guessed_type)
        if in_correct:
            if gold_end and pred_end and last_guessed_type == last_correct_type:
                in_correct = False
                correct_chunk[last_correct_type] += 1
            elif gold_end != pred_end or guessed_type != correct_type:
                in_correct = False
        gold_start = _start_of_chunk(
            last_correct, correct, last_correct_type, correct_type
        )
        pred_start = _start_of_chunk(
            last_guessed, guessed, last_guessed_type, guessed_type
        )
        if gold_start and pred_start and guessed_type == correct_type:
            in_correct = True
        if gold_start:
            found_correct[correct_type] += 1
        if pred_start:
            found_guessed[guessed_type] += 1
        if is_token:
            correct_tags += correct == guessed and guessed_type == correct_type
            tokens += 1
        last_correct, last_correct_type = correct, correct_type
        last_guessed, last_guessed_type = guessed, guessed_type
    if in_correct:
        correct_chunk[last_correct_type] += 1

    per_type = {}
    for kind in sorted(found_correct.keys() | found_guessed.keys()):
        counts = {
            "correct": correct_chunk[kind],
            "predicted": found_guessed[kind],
            "support": found_correct[kind],
        }
        per_type[kind] = {**prf(**counts), **counts}
    counts = {
        "correct": sum(correct_chunk.values()),
        "predicted": sum(found_guessed.values()),
        "support": sum(found_correct.values()),
    }
    return {
        **prf(**counts),
        "accuracy": correct_tags / tokens if tokens else 0.0,
        **counts,
        "tokens": tokens,
        "correct_tokens": correct_tags,
        "per_type": per_type,
    }


def _percentages(correct: int, predicted: int, support: int) -> tuple[float, ...]:
    # conlleval's own arithmetic, in percent, so %6.2f rounds as it does.
    precision = 100 * correct / predicted if predicted else 0.0
    recall = 100 * correct / support if support else 0.0
    total = precision + recall
    return precision, recall, (2 * precision * recall / total if total else 0.0)


def format_report(result: dict[str, Any]) -> str:
    """Format a :func:`score` result as conlleval prints it.

    Args:
        result: the dict returned by :func:`score`.

    Returns:
        conlleval's text report, lines ending in ``\\n``.
    """
    counts = (result["correct"], result["predicted"], result["support"])
    lines = [
        f"processed {result['tokens']} tokens with {result['support']} phrases; "
        f"found: {result['predicted']} phrases; correct: {result['correct']}.\n"
    ]
    if result["tokens"] > 0:
        precision, recall, f1 = _percentages(*counts)
        accuracy = 100 * result["correct_tokens"] / result["tokens"]
        lines.append(
            f"accuracy: {accuracy:6.2f}%; precision: {precision:6.2f}%; "
            f"recall: {recall:6.2f}%; FB1: {f1:6.2f}\n"
        )
    for kind, row in result["per_type"].items():
        precision, recall, f1 = _percentages(
            row["correct"], row["predicted"], row["support"]
        )
        lines.append(
            f"{kind:>17}: precision: {precision:6.2f}%; recall: {recall:6.2f}%; "
            f"FB1: {f1:6.2f}  {row['predicted']}\n"
        )
    return "".join(lines)
