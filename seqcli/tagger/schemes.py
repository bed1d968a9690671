"""Entity tag schemes: reading tags, spans, converting, checking, and the CRF's
transition constraints.

Tag schemes
-----------
``iob1``: entity tokens are ``I-``; ``B-`` only starts an entity that directly
follows an entity of the same type (the original CoNLL-2003 files).
``iob2``: every entity starts with ``B-``, continues with ``I-``.
``bioes``: ``S-`` for one-token entities, else ``B-`` ``I-``* ``E-``.

Decoding (``to_spans``) uses one rule set for all three schemes, the chunk rules
of conlleval: ``B-``/``S-`` always start an entity; ``I-``/``E-`` continue an
open ``B-``/``I-`` entity of the same type, otherwise they start a new one (the
repair for ill-formed input such as ``I-PER`` after ``O`` in IOB2); ``E-``/``S-``
close the entity. ``validate`` lists what deviates from a scheme's canonical
form, so callers can warn that input was repaired. Encoding (``from_spans``)
always writes the canonical form, so ``convert`` A → B → A is the identity for
any sequence that ``validate`` accepts for A.

``transition_constraints`` gives the transitions a scheme permits between a model's
tags, as masks for seqcli.tagger.crf.CRF.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

SCHEMES = ("iob1", "iob2", "bioes")

Span = tuple[int, int, str]

# BILOU's L(ast) and U(nit) are BIOES's E and S.
_PREFIXES = {"B": "B", "I": "I", "E": "E", "S": "S", "L": "E", "U": "S"}
# the prefixes a model's tag may carry in each scheme, besides plain "O"
PREFIXES = {"iob1": "BI", "iob2": "BI", "bioes": "BIES"}


def is_tag(label: str) -> bool:
    """Return True if ``label`` is ``O`` or ``<B|I|E|S|L|U>-<TYPE>``."""
    prefix, dash, kind = label.partition("-")
    return label == "O" or (prefix in _PREFIXES and bool(dash) and bool(kind))


def parse_tag(label: str) -> tuple[str, str]:
    """Split a tag into its prefix and entity type.

    Args:
        label: ``O`` or ``<P>-<TYPE>``; L and U prefixes are read as E and S.

    Returns:
        ``(prefix, type)``, ``("O", "")`` for ``O``.

    Raises:
        ValueError: if ``label`` is not a tag.
    """
    if not is_tag(label):
        raise ValueError(f"not a tag: {label!r}")
    if label == "O":
        return "O", ""
    prefix, _, kind = label.partition("-")
    return _PREFIXES[prefix], kind


def normalize_tag(label: str) -> str:
    """Return ``label`` with L-/U- rewritten as E-/S-."""
    prefix, kind = parse_tag(label)
    return "O" if prefix == "O" else f"{prefix}-{kind}"


def _check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise ValueError(f"unknown tag scheme {scheme!r} (use one of {SCHEMES})")


def to_spans(labels: Sequence[str], scheme: str | None = None) -> list[Span]:
    """Decode labels into entity spans.

    All schemes decode with the same rules (see the module docstring), so an
    ill-formed sequence is repaired the way conlleval reads it.

    Args:
        labels: tags of one sentence.
        scheme: ``iob1``, ``iob2`` or ``bioes``; only checked, may be omitted.

    Returns:
        ``(start, end, type)`` triples, end exclusive, in order.

    Raises:
        ValueError: on a label that is not a tag or an unknown scheme.
    """
    if scheme is not None:
        _check_scheme(scheme)
    spans: list[Span] = []
    start: int | None = None  # start of the open entity, if any
    kind = ""
    for i, label in enumerate(labels):
        prefix, tag_type = parse_tag(label)
        continues = start is not None and tag_type == kind and prefix in ("I", "E")
        if not continues:
            if start is not None:
                spans.append((start, i, kind))
            start = None if prefix == "O" else i
            kind = tag_type
        if start is not None and prefix in ("E", "S"):
            spans.append((start, i + 1, kind))
            start = None
    if start is not None:
        spans.append((start, len(labels), kind))
    return spans


def from_spans(spans: Iterable[Span], length: int, scheme: str) -> list[str]:
    """Encode entity spans as labels in the canonical form of a scheme.

    Args:
        spans: ``(start, end, type)`` triples, end exclusive, not overlapping.
        length: number of tokens.
        scheme: ``iob1``, ``iob2`` or ``bioes``.

    Returns:
        One label per token.

    Raises:
        ValueError: on an unknown scheme or spans that are empty, overlapping,
            out of range or have an empty type.
    """
    _check_scheme(scheme)
    labels = ["O"] * length
    prev_end, prev_type = -1, ""
    for start, end, kind in sorted(spans):
        if not (0 <= start < end <= length) or start < prev_end or not kind:
            raise ValueError(f"bad span {(start, end, kind)} for length {length}")
        if scheme == "bioes" and end - start == 1:
            labels[start] = f"S-{kind}"
            prev_end, prev_type = end, kind
            continue
        labels[start:end] = [f"I-{kind}"] * (end - start)
        if scheme == "bioes":
            labels[start] = f"B-{kind}"
            labels[end - 1] = f"E-{kind}"
        elif scheme == "iob2" or (start == prev_end and kind == prev_type):
            labels[start] = f"B-{kind}"
        prev_end, prev_type = end, kind
    return labels


def convert(labels: Sequence[str], src: str, dst: str) -> list[str]:
    """Convert labels from scheme ``src`` to scheme ``dst``.

    Args:
        labels: tags of one sentence in ``src``.
        src: source scheme.
        dst: target scheme.

    Returns:
        The same entities, canonically encoded in ``dst``.
    """
    return from_spans(to_spans(labels, src), len(labels), dst)


def validate(labels: Sequence[str], scheme: str) -> list[str]:
    """List where ``labels`` are not in the canonical form of ``scheme``.

    An empty list means ``convert(labels, scheme, x)`` and back is lossless
    (up to L-/U- coming back as E-/S-).
    Anything listed is still decoded, by the repair rule of :func:`to_spans`.

    Args:
        labels: tags of one sentence.
        scheme: ``iob1``, ``iob2`` or ``bioes``.

    Returns:
        Problems as ``"token N: ..."`` strings (N is 1-based).
    """
    _check_scheme(scheme)
    problems: list[str] = []
    prev_prefix, prev_type, prev_label = "O", "", "O"
    for i, label in enumerate([*labels, "O"]):
        n = i + 1
        if not is_tag(label):
            problems.append(f"token {n}: {label!r} is not a tag")
            prev_prefix, prev_type, prev_label = "O", "", "O"
            continue
        prefix, kind = parse_tag(label)
        inside = prev_prefix in ("B", "I") and prev_type == kind
        after = f"after {prev_label}" if i else "at the start"
        if i == len(labels):
            pass  # the sentinel only closes an open bioes entity
        elif scheme != "bioes" and prefix in ("E", "S"):
            problems.append(f"token {n}: {label} is not used in {scheme}")
        elif scheme == "iob2" and prefix == "I" and not inside:
            problems.append(f"token {n}: {label} {after} starts an entity")
        elif scheme == "iob1" and prefix == "B" and not inside:
            problems.append(f"token {n}: {label} {after} (iob1 wants I-{kind})")
        elif scheme == "bioes" and prefix in ("I", "E") and not inside:
            problems.append(f"token {n}: {label} {after} starts an entity")
        closed = not inside or prefix not in ("I", "E")
        if scheme == "bioes" and prev_prefix in ("B", "I") and closed:
            problems.append(f"token {i}: {prev_label} is not closed by E-")
        prev_prefix, prev_type, prev_label = prefix, kind, label
    return problems


def detect_scheme(label_seqs: Iterable[Sequence[str]]) -> str:
    """Guess the tag scheme of a corpus.

    ``bioes`` if any E-/S- (or L-/U-) tag occurs. Otherwise count entities that
    start with I- (no open entity of the same type before them) and with B-
    (not directly after the same type): ``iob1`` if I- starts are the
    majority, as in CoNLL-2003's files (B- only between adjacent same-type
    entities, plus two stray ones), else ``iob2`` (also when there are none).

    Args:
        label_seqs: label lists, one per sentence.

    Returns:
        ``"iob1"``, ``"iob2"`` or ``"bioes"``.

    Raises:
        ValueError: on a label that is not a tag.
    """
    i_starts = b_starts = 0
    for labels in label_seqs:
        prev_prefix, prev_type = "O", ""
        for label in labels:
            prefix, kind = parse_tag(label)
            if prefix in ("E", "S"):
                return "bioes"
            inside = prev_prefix in ("B", "I") and prev_type == kind
            if prefix == "I" and not inside:
                i_starts += 1
            elif prefix == "B" and not inside:
                b_starts += 1
            prev_prefix, prev_type = prefix, kind
    return "iob1" if i_starts > b_starts else "iob2"


def tag_set(types: Iterable[str], scheme: str) -> list[str]:
    """O, then every prefix of the scheme for each entity type (sorted): a model's
    tags."""
    return ["O"] + [f"{p}-{t}" for t in sorted(types) for p in PREFIXES[scheme]]


def transition_constraints(
    labels: list[str], scheme: str
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Transitions that a tagging scheme permits between the given labels.

    Labels are "O" or "<prefix>-<type>" (e.g. "B-PER"). IOB2: I-X only after B-X
    or I-X, never first. IOB1: B-X only directly after B-X or I-X (to split two
    entities of type X), never first. BIOES: B-X and I-X are followed by I-X or
    E-X; a sentence starts with O, B-X or S-X and ends with O, E-X or S-X.

    Args:
        labels: tag names, in tag-index order.
        scheme: "iob1", "iob2" or "bioes" (case-insensitive).

    Returns:
        allowed (n, n), allowed_start (n,), allowed_end (n,) bool masks, to pass
        to seqcli.tagger.crf.CRF.
    """
    import torch

    key = scheme.lower()
    if key not in PREFIXES:
        raise ValueError(
            f"unknown scheme {scheme!r}, expected one of {', '.join(PREFIXES)}"
        )
    parsed = [_parse_label(label, key) for label in labels]
    n = len(parsed)
    allowed = torch.tensor(
        [[_may_follow(a, b, key) for b in parsed] for a in parsed], dtype=torch.bool
    ).view(n, n)
    allowed_start = torch.tensor([_may_start(p, key) for p in parsed], dtype=torch.bool)
    allowed_end = torch.tensor([_may_end(p, key) for p in parsed], dtype=torch.bool)
    return allowed, allowed_start, allowed_end


def _parse_label(label: str, scheme: str) -> tuple[str, str]:
    if label == "O":
        return "O", ""
    prefix, sep, kind = label.partition("-")
    if not sep or not kind or len(prefix) != 1 or prefix not in PREFIXES[scheme]:
        expected = ", ".join(f"{p}-<type>" for p in PREFIXES[scheme])
        raise ValueError(
            f"label {label!r} is not valid in the {scheme} scheme "
            f"(expected O, {expected})"
        )
    return prefix, kind


def _may_start(label: tuple[str, str], scheme: str) -> bool:
    prefix = label[0]
    if scheme == "iob1":
        return prefix != "B"
    if scheme == "iob2":
        return prefix != "I"
    return prefix in "OBS"


def _may_end(label: tuple[str, str], scheme: str) -> bool:
    return scheme != "bioes" or label[0] in "OES"


def _may_follow(a: tuple[str, str], b: tuple[str, str], scheme: str) -> bool:
    """Whether label b may directly follow label a."""
    (pa, ta), (pb, tb) = a, b
    inside = pa in "BI" and ta == tb
    if scheme == "iob1":
        return pb != "B" or inside
    if scheme == "iob2":
        return pb != "I" or inside
    if pa in "BI":
        return pb in "IE" and ta == tb
    return pb in "OBS"
