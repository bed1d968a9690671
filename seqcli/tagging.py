"""Tagging token lists and lines of text with a trained tagger, torch or numpy.

The model only needs `tags`, `cfg.scheme` and `decode_tokens(encoder, sentences)`
(best tag ids per sentence): seqcli.tagger.Tagger runs PyTorch, and
seqcli.tagger_numpy.NumpyTagger runs numpy for small inputs, which then start
without importing PyTorch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from seqcli.errors import SeqcliError
from seqcli.features import Encoder

MAX_TOKENS = 200  # longer sentences and lines are tagged in pieces of at most this
SENTENCE_ENDS = {".", "!", "?", ";"}  # preferred places to cut a long line


def encoder_from_manifest(manifest: dict) -> Encoder:
    from seqcli.vocab import Vocab

    vocabs = manifest["vocabs"]
    return Encoder(
        Vocab.from_dict(vocabs["words"]),
        Vocab.from_dict(vocabs["chars"]),
        manifest["config"]["case"],
    )


# --- tagging ---


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
    encoder: Encoder,
    token_lists: Sequence[Sequence[str]],
    *,
    batch_size: int = 64,
    max_tokens: int = MAX_TOKENS,
) -> list[list[str]]:
    """Tags of each token list, in the model's training scheme.

    Sentences are batched by length (little padding) and put back in input order;
    a list longer than `max_tokens` is tagged in pieces, so memory stays bounded.

    Args:
        model: a tagger in eval mode.
        encoder: its vocabularies (see `encoder_from_manifest`).
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
        paths = model.decode_tokens(encoder, sentences)
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
    batch_size: int = 64,
    encoder: Encoder | None = None,
) -> list[list[str]]:
    """Tags of each token list in `scheme` (default: the training data's scheme)."""
    from seqcli.conll import convert

    encoder = encoder or encoder_from_manifest(manifest)
    scheme = scheme or manifest["input_scheme"]
    tags = predict(model, encoder, token_lists, batch_size=batch_size)
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
    from seqcli.conll import to_spans

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
    batch_size: int = 64,
    encoder: Encoder | None = None,
) -> list[dict]:
    """Tag plain-text lines; see `records` for what each gives.

    Args:
        model: a tagger in eval mode.
        manifest: its manifest.
        texts: lines; an empty line gives a record without tokens.
        tokenizer: a seqcli.vocab.WordTokenizer.
        scheme: tags in the records (default: the training data's scheme).
        batch_size: sentences per forward pass.
        encoder: reuse one across calls (it caches spellings).

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
        encoder=encoder,
    )
    return records(texts, tokenised, tags)


def read_conll(path: str, *, label_column: int | None = -1, errors: str = "strict"):
    """A CoNLL Document from a file (or stdin for "-"), with one-line user errors."""
    from seqcli.conll import ConllError
    from seqcli.conll import read_conll as parse
    from seqcli.data import read_text

    source = "<stdin>" if path == "-" else str(path)
    text = read_text(path, errors)
    try:
        doc = parse(text.splitlines(), source=source, label_column=label_column)
    except ConllError as e:
        raise SeqcliError(str(e)) from None
    if not doc.sentences:
        raise SeqcliError(f"{source}: no sentences in the input (it is empty)")
    return doc
