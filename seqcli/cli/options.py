"""Options shared by several commands, and options made from config dataclasses."""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

import click

from seqcli import console


class IntRange(click.IntRange):
    """click.IntRange whose help shows no range when it has no bounds (click's
    shows "x<=None")."""

    def _describe_range(self) -> str:
        if self.min is None and self.max is None:
            return ""
        return super()._describe_range()


class FloatRange(click.FloatRange):
    """A float option in a range that refuses NaN and infinity: NaN passes any
    comparison with a bound, and no option of seqcli means anything by infinity."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number

    def _describe_range(self) -> str:
        if self.min is None and self.max is None:
            return ""
        return super()._describe_range()


# a seed numpy, torch and random all take
SEED_RANGE = {"min": 0, "max": 2**32 - 1}


def _set_quiet(ctx, param, value):
    if value:
        console.quiet = True
    return value


def _check_device(ctx, param, value):
    """A device name, refused as a usage error when it is none (naming
    SEQCLI_DEVICE when it came from there); whether the device is there is known
    only when it is picked."""
    from seqcli.device import NAMES

    if value is None or NAMES.fullmatch(value.strip().lower()):
        return value
    hint = "use auto, cpu, cuda, cuda:N or mps"
    source = ctx.get_parameter_source(param.name)
    if source is click.core.ParameterSource.ENVIRONMENT:
        raise click.BadParameter(f"SEQCLI_DEVICE={value!r} is no device ({hint})")
    raise click.BadParameter(f"{value!r} is no device ({hint})")


device_option = click.option(
    "--device",
    envvar="SEQCLI_DEVICE",
    callback=_check_device,
    default="auto",
    show_default=True,
    help="auto (CUDA, then Apple MPS, then CPU), cpu, cuda, cuda:N or mps. "
    "Env: SEQCLI_DEVICE.",
)
quiet_option = click.option(
    "-q",
    "--quiet",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_quiet,
    help="No progress or messages on stderr (warnings and errors still show).",
)
model_option = functools.partial(
    click.option, "-m", "--model", "model", metavar="NAME", show_default=True
)
encoding_option = click.option(
    "--encoding-errors",
    type=click.Choice(["strict", "replace"]),
    default="strict",
    show_default=True,
    help="Bytes that are not UTF-8: stop with an error, or replace them.",
)


def _option(field: dataclasses.Field, default: Any):
    """The click option of a config field made with seqcli.config.setting."""
    flag = "--" + field.name.replace("_", "-")
    details = dict(field.metadata["option"])
    common = {"default": default, "show_default": True, "help": field.metadata["help"]}
    kind = field.type if isinstance(field.type, str) else field.type.__name__
    if "choices" in details:
        return click.option(flag, type=click.Choice(details["choices"]), **common)
    if kind == "bool":
        return click.option(f"{flag}/--no-{flag[2:]}", **common)
    if kind == "str":
        return click.option(flag, **common)
    metavar = details.pop("metavar", None)
    number = IntRange if kind == "int" else FloatRange
    return click.option(flag, type=number(**details), metavar=metavar, **common)


def config_options(cls: type, defaults: Any = None):
    """Options for the fields of a config dataclass that have help text (see
    seqcli.config.setting), with defaults from the instance `defaults` if given."""

    def decorate(f):
        for field in reversed(dataclasses.fields(cls)):
            if "help" in field.metadata:
                default = (
                    field.default if defaults is None else getattr(defaults, field.name)
                )
                f = _option(field, default)(f)
        return f

    return decorate


def pop_config(cls: type, values: dict) -> Any:
    """A config from the options named after its fields, taken out of `values`."""
    names = [f.name for f in dataclasses.fields(cls) if f.name in values]
    return cls(**{name: values.pop(name) for name in names})
