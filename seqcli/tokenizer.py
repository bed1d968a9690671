"""spaCy's rule-based word tokenizer, run from its rules without importing spaCy.

spaCy takes about a second to import, longer than seqcli takes to tag a line. Its
tokenizer for a language is data (special cases and four regular expressions) plus
an algorithm; this module reads the data once from spaCy, keeps it as JSON in a
cache keyed by spaCy's version, and runs the same algorithm (spaCy's
tokenizer.pyx: whitespace runs, affix splitting, infixes, then special cases that
span affixes). Tests hold it to spaCy's own output on real corpora.
"""

from __future__ import annotations

import json
import os
import re
from importlib import metadata
from pathlib import Path

PATTERNS = (
    "prefix_search",
    "suffix_search",
    "infix_finditer",
    "token_match",
    "url_match",
)
ORTH = 65  # spaCy's attribute id for a token's text (rules give ORTH or "ORTH")
CACHE_SIZE = 50_000  # chunks remembered per tokenizer


def spacy_version() -> str | None:
    try:
        return metadata.version("spacy")
    except metadata.PackageNotFoundError:
        return None


def rules_from_spacy(tokenizer) -> dict | None:
    """The rules of a spaCy Tokenizer as JSON-able data, or None where it is not the
    plain rule-based kind (e.g. Chinese or Japanese, which segment with a library)."""
    from spacy.tokenizer import Tokenizer

    if type(tokenizer) is not Tokenizer or not tokenizer.faster_heuristics:
        return None
    patterns = {}
    for name in PATTERNS:
        fn = getattr(tokenizer, name)
        owner = getattr(fn, "__self__", None)
        if fn is None:
            patterns[name] = None
        elif isinstance(owner, re.Pattern):
            patterns[name] = [owner.pattern, owner.flags]
        else:  # a hand-written function: only spaCy can run it
            return None
    specials = {
        chunk: [spec.get(ORTH, spec.get("ORTH")) for spec in specs]
        for chunk, specs in tokenizer.rules.items()
    }
    return {"spacy": spacy_version(), "patterns": patterns, "specials": specials}


def cached_rules(lang: str, folder: Path, load_spacy) -> dict | None:
    """The rules for `lang` from `folder`, written there from spaCy on first use.

    `load_spacy(lang)` gives spaCy's tokenizer; it is called only on a cache miss
    (or when spaCy's version changed). None where the rules cannot be run here."""
    version = spacy_version()
    if not re.fullmatch(r"[A-Za-z_-]{1,16}", lang):  # not a file name: let spaCy say
        return rules_from_spacy(load_spacy(lang))
    path = folder / f"{lang}-spacy-{version}.json"
    try:
        rules = json.loads(path.read_text(encoding="utf-8"))
        if rules.get("spacy") == version and set(rules["patterns"]) == set(PATTERNS):
            return rules
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    rules = rules_from_spacy(load_spacy(lang))
    if rules is not None:
        _write(path, json.dumps(rules, ensure_ascii=False))
    return rules


def _write(path: Path, text: str) -> None:
    """Atomically, and not at all where the folder is read-only (a cache)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


class RuleTokenizer:
    """Splits text as spaCy's Tokenizer with the same rules does, giving
    (token, character offset) pairs (whitespace tokens included, as spaCy's are)."""

    def __init__(self, rules: dict):
        compiled = {}
        for name, spec in rules["patterns"].items():
            if spec is None:
                compiled[name] = None
            else:
                pattern = re.compile(spec[0], spec[1])
                compiled[name] = (
                    pattern.finditer
                    if name == "infix_finditer"
                    else pattern.match
                    if name in ("token_match", "url_match")
                    else pattern.search
                )
        self.prefix_search = compiled["prefix_search"]
        self.suffix_search = compiled["suffix_search"]
        self.infix_finditer = compiled["infix_finditer"]
        self.token_match = compiled["token_match"]
        self.url_match = compiled["url_match"]
        self.specials: dict[str, list[str]] = rules["specials"]
        self._cache: dict[str, list[str]] = {}
        # special cases the affix rules would split apart are found afterwards
        # in the token sequence (spaCy's special-case matcher)
        self.spanning: dict[str, list[tuple[str, ...]]] = {}
        for chunk in sorted(self.specials):
            if (
                self._prefix_len(chunk)
                or self._suffix_len(chunk)
                or self._infixes(chunk)
                or " " in chunk
            ):
                pattern = tuple(w for w, _ in self._split_text(chunk, specials=False))
                if pattern:
                    self.spanning.setdefault(pattern[0], []).append(pattern)

    # --- the pieces spaCy's Tokenizer asks of its rules ---
    def _prefix_len(self, text: str) -> int:
        if self.prefix_search is None:
            return 0
        m = self.prefix_search(text)
        return m.end() - m.start() if m else 0

    def _suffix_len(self, text: str) -> int:
        if self.suffix_search is None:
            return 0
        m = self.suffix_search(text)
        return m.end() - m.start() if m else 0

    def _infixes(self, text: str) -> list:
        return list(self.infix_finditer(text)) if self.infix_finditer else []

    def _is_special(self, text: str, specials: bool) -> bool:
        return specials and text in self.specials

    # --- the algorithm ---
    def __call__(self, text: str) -> list[tuple[str, int]]:
        words = self._split_text(text, specials=True)
        if self.spanning:
            words = self._merge_specials(text, words)
        return words

    def _split_text(self, text: str, specials: bool) -> list[tuple[str, int]]:
        """Whitespace runs split the text; a run that is one space is dropped, and
        a longer run keeps all but its first space as a token."""
        words: list[tuple[str, int]] = []
        start, in_space = 0, None
        for i, ch in enumerate(text):
            space = ch.isspace()
            if in_space is None:
                in_space = space
            if space != in_space:
                if start < i:
                    words += _placed(self._chunk(text[start:i], specials), start)
                start = i + 1 if ch == " " else i
                in_space = space
        if start < len(text):
            words += _placed(self._chunk(text[start:], specials), start)
        return words

    def _chunk(self, chunk: str, specials: bool) -> list[str]:
        if specials:
            if chunk in self.specials:
                return self.specials[chunk]
            words = self._cache.get(chunk)
            if words is None:
                words = self._split_affixes(chunk, specials)
                if len(self._cache) < CACHE_SIZE:
                    self._cache[chunk] = words
            return words
        return self._split_affixes(chunk, specials)

    def _split_affixes(self, text: str, specials: bool) -> list[str]:
        prefixes: list[str] = []
        suffixes: list[str] = []
        last = -1
        while text and len(text) != last:
            if self.token_match and self.token_match(text):
                break
            if self._is_special(text, specials):
                break
            last = len(text)
            pre = self._prefix_len(text)
            if pre:
                minus_pre = text[pre:]
                if minus_pre and self._is_special(minus_pre, specials):
                    prefixes.append(text[:pre])
                    text = minus_pre
                    break
            suf = self._suffix_len(text[pre:])
            if suf:
                minus_suf = text[:-suf]
                if minus_suf and self._is_special(minus_suf, specials):
                    suffixes.append(text[-suf:])
                    text = minus_suf
                    break
            if pre and suf and pre + suf <= len(text):
                prefixes.append(text[:pre])
                suffixes.append(text[-suf:])
                text = text[pre:-suf]
            elif pre:
                prefixes.append(text[:pre])
                text = text[pre:]
            elif suf:
                suffixes.append(text[-suf:])
                text = text[:-suf]
        return prefixes + self._middle(text, specials) + suffixes[::-1]

    def _middle(self, text: str, specials: bool) -> list[str]:
        if not text:
            return []
        if self._is_special(text, specials):
            return self.specials[text]
        if (self.token_match and self.token_match(text)) or (
            self.url_match and self.url_match(text)
        ):
            return [text]
        words, start = [], 0
        for m in self._infixes(text):
            if m.start() == 0:  # an infix at the very start is not split off
                continue
            if m.start() != start:
                words.append(text[start : m.start()])
            if m.start() != m.end():
                words.append(text[m.start() : m.end()])
            start = m.end()
        if text[start:]:
            words.append(text[start:])
        return words

    def _merge_specials(
        self, text: str, words: list[tuple[str, int]]
    ) -> list[tuple[str, int]]:
        """Special cases that the affix rules split apart (e.g. an emoticon inside
        brackets): longest match first, then leftmost, none overlapping."""
        texts = [w for w, _ in words]
        found = []
        for i, word in enumerate(texts):
            for pattern in self.spanning.get(word, ()):
                if tuple(texts[i : i + len(pattern)]) == pattern:
                    found.append((i, i + len(pattern)))
        if not found:
            return words
        found.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
        seen: set[int] = set()
        kept = []
        for start, end in found:
            if start not in seen and end - 1 not in seen:
                kept.append((start, end))
            seen.update(range(start, end))
        kept.sort()
        out, i = [], 0
        for start, end in kept:
            out += words[i:start]
            begin = words[start][1]
            span = text[begin : words[end - 1][1] + len(texts[end - 1])]
            special = self.specials.get(span)  # the text, spaces included
            out += _placed(special, begin) if special else words[start:end]
            i = end
        return out + words[i:]


def _placed(words: list[str], start: int) -> list[tuple[str, int]]:
    """Contiguous words from `start` with their offsets."""
    out = []
    for word in words:
        out.append((word, start))
        start += len(word)
    return out
