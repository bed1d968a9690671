"""A model's manifest: what describes a stored model, read through one typed object.

`manifest.json` holds a JSON object with these parts:

    kind          the model kind (seqcli.kinds)
    config        the network's settings: the kind's config dataclass as a dict
    vocabs        {name: a Vocab's dict}; a char-LM's "merges" of its byte pairs
    training      what it learnt from and how: data, dev, settings, steps, sha256,
                  with_dev (the dev run whose epochs a --with-dev model trained for)
    metrics       the dev metrics of the kept weights
    history       one entry per evaluation: epoch, step, seconds, train_loss, metrics
    input_scheme  a tagger's: the tag scheme of its training data, which it writes
    context       a tagger's: its context char-LMs' settings and vocabularies
    subwords      a translator's: the byte-pair merges of each side
    calibration   a classifier's: the temperature fitted on dev, and the calibration
                  error before and after
    pretrained    a classifier's encoder pretrained as a language model (--pretrain):
                  its objective; such a model is only started from (--lm)

and, written by seqcli.store on saving: format, name, created, versions, weights.
`Manifest` is that object as a dict (saved as it is) with a name for each part, so
that code reads `manifest.settings(TaggerConfig)` or `manifest.vocab("chars")`
rather than keys spelled out in many places.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from seqcli.config import config_from
from seqcli.errors import SeqcliError

if TYPE_CHECKING:
    from seqcli.vocab import Vocab

T = TypeVar("T")


class Manifest(dict):
    """A model's manifest (see the module's docstring for its parts)."""

    @classmethod
    def of(cls, values: Mapping) -> Manifest:
        """`values` as a Manifest: itself when it is one (so that what is written
        into it is written into the caller's)."""
        return values if isinstance(values, cls) else cls(values)

    @property
    def kind(self) -> str | None:
        return self.get("kind")

    @property
    def name(self) -> str:
        return self.get("name", "this model")

    def check_runnable(self) -> None:
        """Refuses a pretrained part (a classifier's encoder from --pretrain), which
        other models start from but which cannot run on its own."""
        if self.get("pretrained"):
            raise SeqcliError(
                f"{self.name!r} is a pretrained encoder, not a {self.kind}: train "
                f"one from it with `seqcli train {self.kind} TRAIN --lm {self.name}`"
            )

    @property
    def config(self) -> dict[str, Any]:
        """The settings as saved (older models lack later fields: see `settings`)."""
        return self.get("config", {})

    def settings(self, cls: type[T]) -> T:
        """The settings as the kind's config dataclass; a field an older model lacks
        takes the value that model was built with."""
        return config_from(cls, self.config)

    def vocab(self, key: str) -> Vocab:
        from seqcli.vocab import Vocab

        return Vocab.from_dict(self["vocabs"][key])

    def vocab_dict(self, key: str) -> dict:
        """Vocabulary `key` as stored (what an export's metadata copies)."""
        return self["vocabs"][key]

    def tokens(self, key: str) -> list[str]:
        """The entries of vocabulary `key` (tags, labels), in id order."""
        return self["vocabs"][key]["tokens"]

    @property
    def merges(self) -> list:
        """A char-LM's byte-pair merges (none for characters and words)."""
        return self.get("vocabs", {}).get("merges", [])

    @property
    def direction(self) -> str:
        """A char-LM's reading direction."""
        return self.config.get("direction", "forward")

    @property
    def units(self) -> str:
        """What a char-LM reads: char, word or bpe."""
        return self.config.get("units", "char")

    @property
    def cells(self) -> list[str]:
        """The recurrent cells it runs: its own and its context char-LMs'."""
        configs = [self.config] + [lm["config"] for lm in self.context.values()]
        return [c.get("cell", "lstm") for c in configs]

    @property
    def training(self) -> dict[str, Any]:
        return self.get("training", {})

    @property
    def weights(self) -> dict[str, Any]:
        """The weights' file, sha256 and size (written by seqcli.store)."""
        return self["weights"]

    @property
    def metrics(self) -> dict[str, Any]:
        return self.get("metrics", {})

    @property
    def history(self) -> list[dict]:
        return self.get("history", [])

    @property
    def input_scheme(self) -> str:
        return self["input_scheme"]

    @property
    def context(self) -> dict[str, dict]:
        """A tagger's context char-LMs by direction (none for other models)."""
        return self.get("context", {})

    @property
    def subwords(self) -> dict[str, dict] | None:
        return self.get("subwords")

    @property
    def temperature(self) -> float:
        """A classifier's calibration temperature (1: its scores as they come)."""
        return float(self.get("calibration", {}).get("temperature", 1.0))
