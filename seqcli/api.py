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

from collections.abc import Sequence
from typing import Any

from seqcli import console
from seqcli.errors import SeqcliError

Texts = str | Sequence[str]


def _texts(texts: Texts) -> tuple[list[str], bool]:
    """The texts as a list, and whether one string was given."""
    if isinstance(texts, str):
        return [texts], True
    if not all(isinstance(t, str) for t in texts):
        raise SeqcliError("give a string or a list of strings")
    return list(texts), False


def _one_or_all(records: list[dict], one: bool) -> dict | list[dict]:
    return records[0] if one else records


class Model:
    """A stored model: its name, kind and manifest; `network(rows)` runs it as the
    command line would for an input of that many rows (seqcli.inference)."""

    kind = ""

    def __init__(self, loaded: Any):
        self.loaded = loaded  # a seqcli.inference.Model
        self.name, self.manifest = loaded.name, loaded.manifest

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
    ) -> list[dict]:
        """`samples` continuations of `prime`: {"sample", "prime", "text"} each, as
        `seqcli generate --json` writes them."""
        from seqcli.charlm.decode import sample_text

        if length < 0 or samples < 1 or temperature < 0 or not 0 < top_p <= 1:
            raise SeqcliError(
                "length >= 0, samples >= 1, temperature >= 0 and 0 < top_p <= 1"
            )
        found = sample_text(
            self.network(samples),
            self.manifest,
            prime,
            length=length,
            samples=samples,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            seed=seed,
        )
        return found.records()


class Tagger(Model):
    kind = "tagger"

    def tag(
        self, texts: Texts, *, scheme: str | None = None, lang: str | None = None
    ) -> dict | list[dict]:
        """Entities of each line of text: {"text", "tokens", "tags", "entities"}, as
        `seqcli tag --format jsonl` writes them."""
        from seqcli.tagger.data import Batcher
        from seqcli.tagger.decode import tag_texts
        from seqcli.vocab import WordTokenizer

        lines, one = _texts(texts)
        records = tag_texts(
            self.network(len(lines)),
            self.manifest,
            lines,
            tokenizer=WordTokenizer(lang or self.manifest["config"]["lang"]),
            scheme=scheme,
            batcher=Batcher.from_manifest(self.manifest),
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
    ) -> dict | list[dict]:
        """Translations of each sentence: {"source", "translations": [{"text",
        "score"}]}, as `seqcli translate --json` writes them. The decoding settings
        default to the command's (seqcli.translator.config)."""
        from seqcli.translator import config
        from seqcli.translator.data import Codec
        from seqcli.translator.decode import records, translate_lines

        lines, one = _texts(texts)
        beam = config.BEAM if beam is None else beam
        if not 1 <= n_best <= beam:
            raise SeqcliError(f"n_best must be between 1 and the beam ({beam})")
        found = translate_lines(
            self.network(len(lines)),
            Codec(self.manifest),
            lines,
            replace_unk=replace_unk,
            beam=beam,
            n_best=n_best,
            length_penalty=(
                config.LENGTH_PENALTY if length_penalty is None else length_penalty
            ),
            max_len_ratio=config.MAX_LEN_RATIO
            if max_len_ratio is None
            else max_len_ratio,
        )
        return _one_or_all(records(lines, found), one)


class Classifier(Model):
    kind = "classifier"

    def classify(self, texts: Texts, *, top_k: int = 1) -> dict | list[dict]:
        """The label of each text: {"text", "label", "score", "labels"}, as
        `seqcli classify --format jsonl` writes them."""
        from seqcli.classifier.data import Codec
        from seqcli.classifier.decode import classify_texts

        lines, one = _texts(texts)
        if top_k < 1:
            raise SeqcliError("top_k must be at least 1")
        codec = Codec.from_manifest(self.manifest)
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
        store: a seqcli.store.Store (default: $SEQCLI_HOME, else the user data
            directory).
    """
    from seqcli import inference
    from seqcli.store import Store

    loaded = inference.Model(store or Store(), name, None, device)
    return MODELS[loaded.kind](loaded)
