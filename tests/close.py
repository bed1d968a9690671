"""Comparing recorded outputs with new ones: texts, tags and counts exactly, floats
to a tolerance.

Why a tolerance: the same float32 network gives results that differ in the last bits
from one instruction set to another (AVX-512 or AVX2, with or without VNNI, ARM's
NEON): the kernels sum in another order and use other approximations of exp and tanh.
Texts and tags come from comparisons with wide margins and stay the same; scores move.

- SCORE_ATOL: scores the commands print rounded to 4 decimals (translation scores). A
  difference of 1e-6 in a score can move its rounding by one unit of the last digit
  (the issue that brought this in saw -0.0315 against -0.0316); two units leave room
  for a score that is also a little off before the rounding.
- REL: floats written in full (eval's loss, BLEU, F1). Their relative difference
  across instruction sets is about 1e-6 (float32 sums over thousands of terms); 1e-4
  is a hundred times that, and still far below any change a user would notice.
"""

from __future__ import annotations

import json
import math
import re

SCORE_ATOL = 2e-4
REL = 1e-4
# a decimal number written in a text output (not a bare integer: counts are exact)
DECIMAL = re.compile(r"-?\d+\.\d+(?:[eE][-+]?\d+)?")


def floats_close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=SCORE_ATOL)


def same(actual, expected, where: str = "") -> None:
    """Assert that two JSON values are equal, floats within the tolerance."""
    if isinstance(expected, float) and isinstance(actual, (int, float)):
        assert floats_close(actual, expected), f"{where}: {actual} != {expected}"
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not an object"
        assert actual.keys() == expected.keys(), f"{where}: keys differ"
        for key in expected:
            same(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: {actual!r} is not a list"
        assert len(actual) == len(expected), f"{where}: lengths differ"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            same(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def same_output(actual: str, expected: str) -> None:
    """Assert that a command's stdout matches a recorded one: line by line, JSON lines
    as JSON, other lines as text whose decimal numbers may differ within the
    tolerance (everything between them exactly)."""
    got, want = actual.splitlines(), expected.splitlines()
    assert len(got) == len(want), f"{len(got)} lines, recorded {len(want)}"
    assert actual.endswith("\n") == expected.endswith("\n")
    for n, (a, e) in enumerate(zip(got, want, strict=True), 1):
        if e.startswith("{"):
            same(json.loads(a), json.loads(e), f"line {n}")
            continue
        assert DECIMAL.split(a) == DECIMAL.split(e), f"line {n}: {a!r} != {e!r}"
        for x, y in zip(DECIMAL.findall(a), DECIMAL.findall(e), strict=True):
            assert floats_close(float(x), float(y)), f"line {n}: {x} != {y}"
