"""seqcli as a library: a stored or built-in model by name, called on strings.

    import seqcli

    tagger = seqcli.load("conll-en")
    tagger.tag("Angela Merkel met Emmanuel Macron in Paris.")
    # {"text": ..., "tokens": [...], "tags": [...], "entities": [...]}

Each method takes one string (and gives one record) or a list of strings (and gives a
list): the records the command line writes as JSON lines, from the same decoding
functions. Problems a caller can fix raise seqcli.SeqcliError.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from seqcli import console
from seqcli.errors import SeqcliError

Texts = str | Iterable[str]


def _texts(texts: Texts) -> tuple[list[str], bool]:
    """The texts as a list, and whether one string was given (any iterable of
    strings counts as a list: a generator too)."""
    if isinstance(texts, str):
        return [texts], True
    if isinstance(texts, (bytes, bytearray)) or not isinstance(texts, Iterable):
        raise SeqcliError(
            f"give a string or a list of strings, not {type(texts).__name__}"
        )
    texts = list(texts)
    if not all(isinstance(t, str) for t in texts):
        raise SeqcliError("give a string or a list of strings")
    return texts, False


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise SeqcliError(message)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    """A finite int or float (NaN and infinity pass every range check)."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _one_or_all(records: list[dict], one: bool) -> dict | list[dict]:
    return records[0] if one else records


class Model:
    """A stored model: its name, kind and manifest; `network(rows)` runs it as the
    command line would for an input of that many rows (seqcli.inference)."""

    kind = ""

    def __init__(self, loaded: Any):
        self.loaded = loaded  # a seqcli.inference.Model
        self.name, self.manifest = loaded.name, loaded.manifest
        self.made: dict = {}

    def once(self, key: Any, make: Any) -> Any:
        """What `make()` gives, made on the first call only: a tokenizer and the
        vocabularies, read from the manifest, cost more than a short text's run
        (a server calls a model many times)."""
        if key not in self.made:
            self.made[key] = make()
        return self.made[key]

    def network(self, rows: int) -> Any:
        with console.quieted():
            return self.loaded.network(rows)

    def __repr__(self) -> str:
        return f"<seqcli {self.kind} {self.name!r}>"


class CharLM(Model):
    kind = "charlm"

    def generate(
        self,
        prime: str = "",
        *,
        length: int = 500,
        samples: int = 1,
        temperature: float = 0.8,
        top_k: int = 0,
        top_p: float = 1.0,
        seed: int | None = None,
        stop: str = "",
        beam: int | None = None,
        no_repeat_ngram: int | None = None,
        beam_sample: bool = False,
    ) -> list[dict]:
        """`samples` continuations of `prime`: {"sample", "prime", "text"} each, as
        `seqcli generate --json` writes them. A list of primes gives the records of
        each prime in turn (one per prime with samples=1).

        stop: a sample ends once it has written this text. beam: the likeliest
        continuation a beam search of this many beams finds (one record per
        prime), never repeating `no_repeat_ngram` characters (default 12, as the
        command); with `beam_sample`, the candidates are drawn at `temperature`
        (otherwise the temperature does not apply)."""
        primes, _ = _texts(prime)
        options = {
            "length": length,
            "samples": samples,
            "temperature": temperature,
            "top_k": top_k,
            "top_p": top_p,
            "seed": seed,
            "stop": stop,
            "beam": beam,
            "no_repeat_ngram": no_repeat_ngram,
            "beam_sample": beam_sample,
        }
        self.check_options(**options)  # before the first prime runs
        records = []
        for text in primes:
            records += self.sample(text, **options).records()
        return records

    def sample(self, prime: str = "", **options: Any) -> Any:
        """The seqcli.charlm.decode.Sample of one prime, its steps not yet run:
        `.steps` gives one character per sample at a time (a stream), `.records()`
        the records of `generate`. Takes generate's options."""
        from seqcli.charlm.decode import sample_text

        _check(isinstance(prime, str), "prime must be a string")
        settings, search = self.check_options(**options)
        return sample_text(
            self.network(search.get("beam", settings["samples"])),
            self.manifest,
            prime,
            **settings,
            **search,
        )

    def check_options(
        self,
        *,
        length: int = 500,
        samples: int = 1,
        temperature: float = 0.8,
        top_k: int = 0,
        top_p: float = 1.0,
        seed: int | None = None,
        stop: str = "",
        beam: int | None = None,
        no_repeat_ngram: int | None = None,
        beam_sample: bool = False,
    ) -> tuple[dict, dict]:
        """sample_text's sampling and beam settings, once checked (SeqcliError
        otherwise): what `sample` runs with, computing nothing."""
        from seqcli.charlm.config import NO_REPEAT_NGRAM

        _check(_integer(length) and length >= 0, "length must be an integer >= 0")
        _check(_integer(samples) and samples >= 1, "samples must be an integer >= 1")
        _check(
            _number(temperature) and temperature >= 0,
            "temperature must be a finite number >= 0",
        )
        _check(_integer(top_k) and top_k >= 0, "top_k must be an integer >= 0")
        _check(_number(top_p) and 0 < top_p <= 1, "top_p must be a number in (0, 1]")
        _check(
            seed is None or (_integer(seed) and 0 <= seed < 2**32),
            "seed must be None or an integer from 0 to 2**32 - 1",
        )
        _check(isinstance(stop, str), "stop must be a string")
        _check(len(stop) <= length, "stop is longer than length: it could never end")
        search = {}
        if beam is None:
            _check(
                no_repeat_ngram is None and not beam_sample,
                "no_repeat_ngram and beam_sample go with beam",
            )
        else:
            _check(_integer(beam) and beam >= 1, "beam must be an integer >= 1")
            _check(
                samples == 1 and top_k == 0 and top_p == 1.0,
                "samples, top_k and top_p do not apply to beam",
            )
            no_repeat = NO_REPEAT_NGRAM if no_repeat_ngram is None else no_repeat_ngram
            _check(
                _integer(no_repeat) and no_repeat >= 0,
                "no_repeat_ngram must be an integer >= 0",
            )
            search = {"beam": beam, "no_repeat": no_repeat, "beam_sample": beam_sample}
        settings = {
            "length": length,
            "samples": samples,
            "temperature": temperature,
            "top_k": top_k,
            "top_p": top_p,
            "seed": seed,
            "stop": stop,
        }
        return settings, search


class Tagger(Model):
    kind = "tagger"

    def tag(
        self, texts: Texts, *, scheme: str | None = None, lang: str | None = None
    ) -> dict | list[dict]:
        """Entities of each line of text: {"text", "tokens", "tags", "entities"}, as
        `seqcli tag --format jsonl` writes them."""
        from seqcli.tagger.data import Batcher
        from seqcli.tagger.decode import tag_texts
        from seqcli.tagger.schemes import SCHEMES
        from seqcli.vocab import WordTokenizer

        lines, one = _texts(texts)
        _check(
            scheme is None or scheme in SCHEMES,
            f"unknown scheme {scheme!r} (use one of {', '.join(SCHEMES)})",
        )
        _check(lang is None or isinstance(lang, str), "lang must be a language code")
        language = lang or self.manifest.config["lang"]
        records = tag_texts(
            self.network(len(lines)),
            self.manifest,
            lines,
            tokenizer=self.once(("tokenizer", lang), lambda: WordTokenizer(language)),
            scheme=scheme,
            batcher=self.once("batcher", lambda: Batcher.from_manifest(self.manifest)),
        )
        return _one_or_all(records, one)


class Translator(Model):
    kind = "translator"

    def translate(
        self,
        texts: Texts,
        *,
        beam: int | None = None,
        n_best: int = 1,
        length_penalty: float | None = None,
        max_len_ratio: float | None = None,
        replace_unk: bool = True,
        attention: bool = False,
    ) -> dict | list[dict]:
        """Translations of each sentence: {"source", "translations": [{"text",
        "score"}]}, as `seqcli translate --json` writes them. The decoding settings
        default to the command's (seqcli.translator.config). With `attention`,
        each record gains the best translation's attention, {"source_tokens",
        "target_tokens", "weights"}, as `seqcli translate --attention` writes it
        (weights: a row per target token, a column per source token)."""
        from seqcli.translator import config
        from seqcli.translator.data import Codec
        from seqcli.translator.decode import attention_map, records, search_lines
        from seqcli.translator.decode import texts as to_text

        lines, one = _texts(texts)
        beam = config.BEAM if beam is None else beam
        _check(_integer(beam) and beam >= 1, "beam must be an integer >= 1")
        _check(
            _integer(n_best) and 1 <= n_best <= beam,
            f"n_best must be between 1 and the beam ({beam})",
        )
        _check(
            length_penalty is None or (_number(length_penalty) and length_penalty >= 0),
            "length_penalty must be a finite number >= 0",
        )
        _check(
            max_len_ratio is None or (_number(max_len_ratio) and max_len_ratio > 0),
            "max_len_ratio must be a finite number > 0",
        )
        _check(isinstance(attention, bool), "attention must be true or false")
        codec = self.once("codec", lambda: Codec(self.manifest))
        tokens, hyps = search_lines(
            self.network(len(lines)),
            codec,
            lines,
            attention=attention,
            beam=beam,
            n_best=n_best,
            length_penalty=(
                config.LENGTH_PENALTY if length_penalty is None else length_penalty
            ),
            max_len_ratio=config.MAX_LEN_RATIO
            if max_len_ratio is None
            else max_len_ratio,
        )
        found = to_text(codec, tokens, hyps, replace_unk)
        maps = None
        if attention:
            maps = [
                attention_map(codec, s, h[0]) for s, h in zip(tokens, hyps, strict=True)
            ]
        return _one_or_all(records(lines, found, maps), one)


class Classifier(Model):
    kind = "classifier"

    def classify(self, texts: Texts, *, top_k: int = 1) -> dict | list[dict]:
        """The label of each text: {"text", "label", "score", "labels"}, as
        `seqcli classify --format jsonl` writes them."""
        from seqcli.classifier.data import Codec
        from seqcli.classifier.decode import classify_texts

        lines, one = _texts(texts)
        _check(_integer(top_k) and top_k >= 1, "top_k must be at least 1")
        codec = self.once("codec", lambda: Codec.from_manifest(self.manifest))
        network = self.network(len(lines))
        return _one_or_all(classify_texts(network, codec, lines, top_k=top_k), one)


MODELS = {cls.kind: cls for cls in (CharLM, Tagger, Translator, Classifier)}


def load(name: str, *, device: str | None = None, store: Any = None) -> Model:
    """The model called `name` (the user's store first, then the built-ins).

    Args:
        name: a model name, e.g. "conll-en", "multi30k-en-de", "shakespeare",
            "sentiment-en".
        device: "auto" (the default: CUDA, then Apple MPS, then the CPU), "cpu",
            "cuda", "cuda:N" or "mps".
        store: the folder of a store (str or Path) or a seqcli.store.Store
            (default: $SEQCLI_HOME, else the user data directory).

    Loading prints nothing (warnings aside): a library is quiet.
    """
    from pathlib import Path

    from seqcli import inference
    from seqcli.store import Store

    _check(isinstance(name, str), f"name must be a model name, not {name!r}")
    _check(
        device is None or isinstance(device, str),
        f"device must be a name such as 'cpu', not {device!r}",
    )
    if isinstance(store, (str, Path)):
        store = Store(Path(store))
    _check(
        store is None or isinstance(store, Store),
        "store must be a folder (str or Path) or a seqcli.store.Store",
    )
    loaded = inference.Model(store or Store(), name, None, device)
    return MODELS[loaded.kind](loaded)
