"""Reading user files: UTF-8 text with errors that say where the problem is."""

from __future__ import annotations

import sys
from pathlib import Path

from seqcli.errors import SeqcliError


def read_bytes(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise SeqcliError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SeqcliError(f"{path}: is a directory, not a file") from None
    except OSError as e:
        raise SeqcliError(f"{path}: cannot read ({e.strerror})") from None


def decode(raw: bytes, path: str, errors: str = "strict") -> str:
    """UTF-8 text; with errors='strict', invalid bytes are reported by offset."""
    try:
        text = raw.decode("utf-8", errors=errors)
    except UnicodeDecodeError as e:
        raise SeqcliError(
            f"{path}: not valid UTF-8 at byte {e.start} "
            "(fix the file or pass --encoding-errors replace)"
        ) from None
    return text.removeprefix("\ufeff")


def read_text(path: str, errors: str = "strict") -> str:
    return decode(read_bytes(path), path, errors)
