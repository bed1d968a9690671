"""Tagging token lists, lines of text and CoNLL documents with a trained tagger.

The model only needs `tags`, `cfg.scheme` and `decode_tokens(batcher, sentences)`
(best tag ids per sentence): seqcli.tagger.model.Tagger runs PyTorch, and
seqcli.tagger.runtime.OnnxTagger its exported graph under onnxruntime
(seqcli.inference picks).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from seqcli.manifest import Manifest
from seqcli.tagger.config import BATCH_SIZE
from seqcli.tagger.data import Batcher
from seqcli.tagger.schemes import convert, to_spans

MAX_TOKENS = 200  # longer sentences and lines are tagged in pieces of at most this
SENTENCE_ENDS = {".", "!", "?", ";"}  # preferred places to cut a long line
GROUP = 16  # batches of lines read, tagged and written at a time


def chunk_bounds(tokens: Sequence[str], size: int = MAX_TOKENS) -> Iterator[tuple]:
    """(start, end) pieces of at most `size` tokens covering `tokens`, cut after a
    sentence-final token in the second half of a window where there is one."""
    start, n = 0, len(tokens)
    while n - start > size:
        end = start + size
        for cut in range(end, start + size // 2, -1):
            if tokens[cut - 1] in SENTENCE_ENDS:
                end = cut
                break
        yield start, end
        start = end
    if start < n:
        yield start, n


def predict(
    model,
    batcher: Batcher,
    token_lists: Sequence[Sequence[str]],
    *,
    batch_size: int = BATCH_SIZE,
    max_tokens: int = MAX_TOKENS,
) -> list[list[str]]:
    """Tags of each token list, in the model's training scheme.

    Sentences are batched by length (little padding) and put back in input order;
    a list longer than `max_tokens` is tagged in pieces, so memory stays bounded.

    Args:
        model: a tagger in eval mode.
        batcher: its vocabularies (Batcher.from_manifest).
        token_lists: tokens of each sentence or line; empty lists give [].
        batch_size: pieces per forward pass.
        max_tokens: the longest piece.

    Returns:
        One tag list per token list.
    """
    from seqcli.data import length_batches

    pieces = [
        (i, start, end)
        for i, tokens in enumerate(token_lists)
        for start, end in chunk_bounds(tokens, max_tokens)
    ]
    found: list[list[str]] = [[] for _ in pieces]
    lengths = [end - start for _, start, end in pieces]
    for indices in length_batches(lengths, batch_size):
        sentences = [token_lists[pieces[k][0]][slice(*pieces[k][1:])] for k in indices]
        paths = model.decode_tokens(batcher, sentences)
        for k, path in zip(indices, paths, strict=True):
            found[k] = [model.tags[j] for j in path]
    out: list[list[str]] = [[] for _ in token_lists]
    for (i, _, _), tags in zip(pieces, found, strict=True):
        out[i] += tags
    return out


def tag_tokens(
    model,
    manifest: dict,
    token_lists: Sequence[Sequence[str]],
    *,
    scheme: str | None = None,
    batch_size: int = BATCH_SIZE,
    batcher: Batcher | None = None,
) -> list[list[str]]:
    """Tags of each token list in `scheme` (default: the training data's scheme)."""
    batcher = batcher or Batcher.from_manifest(manifest)
    scheme = scheme or Manifest.of(manifest).input_scheme
    tags = predict(model, batcher, token_lists, batch_size=batch_size)
    if scheme == model.cfg.scheme:
        return tags
    return [convert(t, model.cfg.scheme, scheme) for t in tags]


def records(
    texts: Sequence[str],
    tokenised: Sequence[Sequence[tuple[str, int]]],
    tags: Sequence[Sequence[str]],
) -> list[dict]:
    """One record per text: {"text", "tokens", "tags", "entities"}.

    Args:
        texts: the original lines.
        tokenised: (token, character offset) pairs of each line.
        tags: a tag per token.

    Returns:
        Records whose entities are {"start", "end", "label", "text"} with
        `text[start:end]` the entity's characters in the original line.
    """
    out = []
    for text, pairs, labels in zip(texts, tokenised, tags, strict=True):
        tokens = [t for t, _ in pairs]
        entities = []
        for first, end, label in to_spans(labels):
            start = pairs[first][1]
            stop = pairs[end - 1][1] + len(pairs[end - 1][0])
            entities.append(
                {"start": start, "end": stop, "label": label, "text": text[start:stop]}
            )
        out.append(
            {"text": text, "tokens": tokens, "tags": list(labels), "entities": entities}
        )
    return out


def tag_texts(
    model,
    manifest: dict,
    texts: Sequence[str],
    *,
    tokenizer,
    scheme: str | None = None,
    batch_size: int = BATCH_SIZE,
    batcher: Batcher | None = None,
) -> list[dict]:
    """Tag plain-text lines; see `records` for what each gives.

    Args:
        model: a tagger in eval mode.
        manifest: its manifest.
        texts: lines; an empty line gives a record without tokens.
        tokenizer: a seqcli.vocab.WordTokenizer.
        scheme: tags in the records (default: the training data's scheme).
        batch_size: sentences per forward pass.
        batcher: reuse one across calls (it caches spellings).

    Returns:
        One record per line.
    """
    tokenised = tokenizer.batch(texts)
    tags = tag_tokens(
        model,
        manifest,
        [[t for t, _ in pairs] for pairs in tokenised],
        scheme=scheme,
        batch_size=batch_size,
        batcher=batcher,
    )
    return records(texts, tokenised, tags)


def tag_lines(
    model,
    manifest: dict,
    lines: Iterator[str | None],
    *,
    lang: str | None = None,
    scheme: str | None = None,
    batch_size: int = BATCH_SIZE,
) -> Iterator[list[dict]]:
    """Records (see `records`) of lines of text as they are read, a group of
    batches at a time, or what was read when the input pauses (a None among the
    lines: see seqcli.data.iter_lines).

    lang: the spaCy tokenizer (default: the model's); scheme: of the tags
    (default: the model's training data's).
    """
    from seqcli.data import groups
    from seqcli.vocab import WordTokenizer

    batcher = Batcher.from_manifest(manifest)
    tokenizer = WordTokenizer(lang or Manifest.of(manifest).config["lang"])
    for texts in groups(lines, batch_size * GROUP):
        yield tag_texts(
            model,
            manifest,
            texts,
            tokenizer=tokenizer,
            scheme=scheme,
            batch_size=batch_size,
            batcher=batcher,
        )


def tag_document(
    model,
    manifest: dict,
    doc,
    *,
    scheme: str | None = None,
    batch_size: int = BATCH_SIZE,
) -> Iterator[tuple]:
    """(part of the document, tags of its sentences) for a CoNLL Document, a group
    of batches at a time."""
    from seqcli.tagger.conll import Document

    batcher = Batcher.from_manifest(manifest)
    size = batch_size * GROUP
    for start in range(0, len(doc.items), size):
        part = Document(doc.items[start : start + size], doc.source, doc.sep)
        tags = tag_tokens(
            model,
            manifest,
            [s.tokens for s in part.sentences],
            scheme=scheme,
            batch_size=batch_size,
            batcher=batcher,
        )
        yield part, tags


def sentence_record(tokens: Sequence[str], labels: Sequence[str]) -> dict:
    """A record for a tokenised sentence, its text being the tokens joined by
    spaces."""
    offsets, at = [], 0
    for token in tokens:
        offsets.append((token, at))
        at += len(token) + 1
    return records([" ".join(tokens)], [offsets], [labels])[0]
