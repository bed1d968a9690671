"""Settings shared by every kind: how a config field declares its option, and the
training loop's settings. Free of torch, so that the command line can show them
without importing it.

Each kind keeps its model settings in a dataclass of its own (`seqcli/<kind>/
config.py`). A field made with `setting` is also a `seqcli train <kind>` option:
its default and help text are written there once. Fields without one (vocabulary
sizes) are filled in from the data.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

_UNSET = object()

# the recurrent cells every kind offers (seqcli.cells builds them)
CELLS = ("lstm", "gru", "mingru", "rnn")
CELL_HELP = (
    "Recurrent cell: lstm, gru, mingru (gates read only the input: one matrix "
    "product per window and an elementwise recurrence), or rnn (Elman's: "
    "h = tanh(W x + U h + b), no gates)."
)


def setting(default: Any, help: str, *, absent: Any = _UNSET, **option: Any) -> Any:
    """A config field that is also a command-line option.

    Args:
        default: the field's default.
        help: the option's help text.
        absent: what a manifest saved before the field existed was built with.
        option: click details: min, max, min_open, max_open, choices, metavar.
    """
    metadata: dict[str, Any] = {"help": help, "option": option}
    if absent is not _UNSET:
        metadata["absent"] = absent
    return dataclasses.field(default=default, metadata=metadata)


def config_from(cls: type, values: dict) -> Any:
    """A config from saved values; a field they lack takes its `absent` value (what
    older models were built with), else its default."""
    absent = {
        f.name: f.metadata["absent"]
        for f in dataclasses.fields(cls)
        if "absent" in f.metadata
    }
    return cls(**absent | values)


@dataclass(frozen=True)
class Data:
    """A data argument or option of `seqcli train KIND` (training files, dev data,
    vectors...), declared in the kind's config.py beside its settings; the command
    line makes a click parameter of it (seqcli/cli/train.py).

    Attributes:
        name: "--dev" for an option, "path" for an argument.
        dest: the recipe's keyword, where it differs from the name.
        type: text, file (one that exists), int, count (≥ 0), positive (≥ 1),
            fraction (in (0, 0.5]) or flag (an option without a value).
        many: an argument of one or more values; an option given again and again.
    """

    name: str
    help: str = ""
    dest: str | None = None
    metavar: str | None = None
    default: Any = None
    type: str = "text"
    many: bool = False


def dev_fraction(default: float) -> Data:
    return Data(
        "--dev-fraction",
        "Part of the training data held back for dev when no dev data is given.",
        default=default,
        type="fraction",
    )


def vectors(vector_words: int) -> tuple[Data, Data]:
    """--vectors, and --vector-words with this default."""
    return (
        Data(
            "--vectors",
            "Word vectors (GloVe or word2vec text, .gz allowed) to start from.",
            metavar="FILE",
        ),
        Data(
            "--vector-words",
            "The commonest words of --vectors added to the vocabulary.",
            default=vector_words,
            type="count",
        ),
    )


@dataclass
class TrainConfig:
    """The training loop's settings (seqcli.train.fit); each kind has its defaults."""

    epochs: int = setting(
        20, "Passes over the data (an upper bound with --time-budget).", min=1
    )
    steps: int = setting(
        0,
        "Stop after this many steps (0: no limit); the learning rate's schedule "
        "ends there.",
        min=0,
    )
    time_budget: float | None = setting(
        None,
        "Stop after this much training (over all resumed runs); keeps the best.",
        min=0,
        min_open=True,
        metavar="SECONDS",
    )
    lr: float = setting(2e-3, "Peak learning rate.", min=0, min_open=True)
    min_lr: float = setting(
        0.1,
        "Final learning rate of the cosine schedule, as a fraction of --lr.",
        min=0,
        max=1,
    )
    schedule: str = setting(
        "cosine",
        "After warm-up: cosine decay to the end (epochs or budget), or constant.",
        choices=("cosine", "constant"),
    )
    warmup: int = setting(50, "Steps of linear warm-up.", min=0)
    optimizer: str = setting("adamw", "The optimizer.", choices=("adamw", "adam"))
    weight_decay: float = setting(0.0, "Weight decay.", min=0)
    clip: float = setting(1.0, "Max gradient norm (0: off).", min=0)
    eval_every: int = setting(
        0, "Dev evaluation every N steps (0: once per epoch).", min=0, metavar="STEPS"
    )
    patience: int = setting(
        5, "Stop after this many evaluations without improvement.", min=1
    )
    # the moving average's decay per step (0: the weights themselves)
    ema: float = setting(
        0.0,
        "Evaluate and keep a moving average of the weights (0: off).",
        min=0,
        max=1,
        max_open=True,
        metavar="DECAY",
    )
    seed: int = setting(
        1, "Random seed (the initial weights too).", min=0, max=2**32 - 1
    )
    # besides the one at each dev evaluation: what a crash can lose at most
    save_every: float = setting(
        5.0,
        "Minutes between resumable training states (0: only at dev evaluations).",
        min=0,
        metavar="MINUTES",
    )
