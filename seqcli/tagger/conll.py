"""CoNLL-style column files.

File model
----------
A CoNLL file is one token per line, columns separated by tabs or spaces, token
first, a blank (or whitespace-only) line between sentences. ``read_conll`` turns
the lines into a :class:`Document` whose ``items`` keep every input line, in
order, as either

* a :class:`Sentence`: a run of token lines (tokens, labels, the raw lines), or
* a :class:`Passthrough`: a line copied verbatim on output: a blank line, a
  ``-DOCSTART-`` line, or a comment line when ``comment_prefix`` is given.

``write_conll`` (or the line generator ``format_conll``) writes passthrough lines
unchanged and each token line with one predicted label appended as a new last
column, joined with a tab if the input used tabs, else a space. So
read → write reproduces the input, plus exactly one column on token lines.
Line endings are written as ``\\n``; trailing blanks of a token line are dropped
before the new column is appended.

Labels are taken from one column (``label_column``, default the last; ``None``
for unlabelled input). A label must be ``O`` or ``<P>-<TYPE>`` with ``P`` in
B, I, E, S; the BILOU letters L and U are read as E and S (labels are stored
normalised, the raw lines are not touched). Errors raise :class:`ConllError`
with a ``file:line: message`` text.

Tags, spans and schemes are seqcli.tagger.schemes'.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from seqcli.tagger.schemes import is_tag, normalize_tag

DOCSTART = "-DOCSTART-"

_FIELD_SEP = re.compile(r"[ \t]+")


class ConllError(ValueError):
    """A malformed CoNLL file; the message starts with ``file:line:``."""

    def __init__(self, source: str, line_no: int, message: str) -> None:
        super().__init__(f"{source}:{line_no}: {message}")
        self.source = source
        self.line_no = line_no


@dataclass
class Sentence:
    """One sentence: a run of token lines.

    Attributes:
        tokens: first column of each line.
        labels: normalised labels (empty when the input has no label column).
        lines: the original lines, without line endings.
        line_no: 1-based line number of the first token.
    """

    tokens: list[str]
    labels: list[str]
    lines: list[str]
    line_no: int

    def column(self, index: int) -> list[str]:
        """Return one column (e.g. POS tags) of this sentence's lines."""
        return [_split_fields(line)[index] for line in self.lines]


@dataclass
class Passthrough:
    """A line that is not a token: blank, ``-DOCSTART-`` or a comment."""

    line: str
    line_no: int


Item = Sentence | Passthrough


@dataclass
class Document:
    """Everything read from one file, in input order.

    Attributes:
        items: sentences and passthrough lines.
        source: name used in error messages.
        sep: separator for an appended column (tab if the input used tabs).
        n_columns: columns per token line (0 if there were no token lines).
    """

    items: list[Item] = field(default_factory=list)
    source: str = "<stdin>"
    sep: str = " "
    n_columns: int = 0

    @property
    def sentences(self) -> list[Sentence]:
        """The sentences, without passthrough lines."""
        return [item for item in self.items if isinstance(item, Sentence)]


def _split_fields(line: str) -> list[str]:
    # Only ASCII blanks separate columns: a token may be another Unicode space.
    return _FIELD_SEP.split(line.strip(" \t"))


def _is_passthrough(line: str, comment_prefix: str | None) -> bool:
    if not line.strip():
        return True
    if comment_prefix and line.startswith(comment_prefix):
        return True
    return _split_fields(line)[0] == DOCSTART


def read_conll(
    lines: Iterable[str],
    *,
    source: str = "<stdin>",
    label_column: int | None = -1,
    comment_prefix: str | None = None,
) -> Document:
    """Read CoNLL lines into a :class:`Document`.

    Args:
        lines: input lines, with or without line endings.
        source: file name for error messages.
        label_column: column index of the label (negative counts from the end);
            ``None`` if the lines carry no label.
        comment_prefix: lines starting with it are kept as passthrough lines.

    Returns:
        The document; every input line is in ``items``.

    Raises:
        ConllError: on a wrong column count, an out-of-range label column or
            a label that is not a tag.
    """
    doc = Document(source=source)
    current: Sentence | None = None
    uses_tabs = False
    for line_no, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if _is_passthrough(line, comment_prefix):
            current = None
            doc.items.append(Passthrough(line, line_no))
            continue
        fields = _split_fields(line)
        if doc.n_columns == 0:
            doc.n_columns = len(fields)
            _check_label_column(label_column, len(fields), source, line_no)
        elif len(fields) != doc.n_columns:
            raise ConllError(
                source,
                line_no,
                f"expected {doc.n_columns} columns, got {len(fields)}",
            )
        uses_tabs = uses_tabs or "\t" in line
        if current is None:
            current = Sentence([], [], [], line_no)
            doc.items.append(current)
        current.tokens.append(fields[0])
        current.lines.append(line)
        if label_column is not None:
            label = fields[label_column]
            if not is_tag(label):
                raise ConllError(
                    source,
                    line_no,
                    f"bad label {label!r} (expected O or B-/I-/E-/S-TYPE)",
                )
            current.labels.append(normalize_tag(label))
    doc.sep = "\t" if uses_tabs else " "
    return doc


def _check_label_column(
    label_column: int | None, n_columns: int, source: str, line_no: int
) -> None:
    if label_column is None:
        return
    if not -n_columns <= label_column < n_columns:
        raise ConllError(
            source,
            line_no,
            f"label column {label_column} out of range for {n_columns} columns",
        )
    if label_column % n_columns == 0:
        raise ConllError(
            source,
            line_no,
            f"label column {label_column} is the token column "
            "(use no label column for unlabelled input)",
        )


def read_conll_file(
    path: str | Path,
    *,
    label_column: int | None = -1,
    comment_prefix: str | None = None,
) -> Document:
    """Read a UTF-8 CoNLL file (see :func:`read_conll`).

    Args:
        path: the file.
        label_column: as in :func:`read_conll`.
        comment_prefix: as in :func:`read_conll`.

    Returns:
        The document, with ``source`` set to ``str(path)``.
    """
    with open(path, encoding="utf-8") as f:
        return read_conll(
            f,
            source=str(path),
            label_column=label_column,
            comment_prefix=comment_prefix,
        )


def format_conll(
    doc: Document, predictions: Sequence[Sequence[str]] | None = None
) -> Iterator[str]:
    """Yield the output lines (without line endings) for ``doc``.

    Args:
        doc: a document from :func:`read_conll`.
        predictions: one label list per sentence, appended as a new last
            column; ``None`` to reproduce the input lines.

    Returns:
        An iterator over lines.

    Raises:
        ValueError: if the predictions do not match the sentences; raised
            before any line is yielded.
    """
    sentences = doc.sentences
    if predictions is not None:
        _check_predictions(doc, sentences, predictions)
    index = 0
    for item in doc.items:
        if isinstance(item, Passthrough):
            yield item.line
            continue
        if predictions is None:
            yield from item.lines
        else:
            for line, label in zip(item.lines, predictions[index], strict=True):
                yield line.rstrip(" \t") + doc.sep + label
        index += 1


def _check_predictions(
    doc: Document,
    sentences: list[Sentence],
    predictions: Sequence[Sequence[str]],
) -> None:
    if len(predictions) != len(sentences):
        raise ValueError(
            f"{doc.source}: {len(predictions)} predictions "
            f"for {len(sentences)} sentences"
        )
    for sent, labels in zip(sentences, predictions, strict=True):
        if len(labels) != len(sent.tokens):
            raise ValueError(
                f"{doc.source}:{sent.line_no}: {len(labels)} predicted labels "
                f"for {len(sent.tokens)} tokens"
            )
        for label in labels:
            if not label or label != label.strip() or _FIELD_SEP.search(label):
                raise ValueError(
                    f"{doc.source}:{sent.line_no}: predicted label {label!r} "
                    "is empty or contains blanks"
                )


def write_conll(
    doc: Document,
    predictions: Sequence[Sequence[str]] | None,
    out: TextIO,
) -> None:
    """Write ``doc`` to ``out``, appending one predicted label per token.

    Args:
        doc: a document from :func:`read_conll`.
        predictions: one label list per sentence, or ``None`` to copy.
        out: a text stream.

    Raises:
        ValueError: if the predictions do not match; nothing is written then.
    """
    for line in format_conll(doc, predictions):
        out.write(line + "\n")
