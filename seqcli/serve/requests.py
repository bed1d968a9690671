"""A request's body: read within the size limit, parsed, and checked for its shape.
The values of the options are checked by seqcli.api, as for a library caller."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from seqcli.serve.problems import Problem

MAX_BODY = 1 << 20  # bytes: far more text than one request should carry

# each task's options: the Python API's keyword arguments
OPTIONS = {
    "tag": ["scheme"],
    "translate": ["beam", "n_best", "length_penalty", "max_len_ratio", "attention"],
    "classify": ["top_k"],
    "generate": [
        "length",
        "temperature",
        "top_k",
        "top_p",
        "seed",
        "stop",
        "beam",
        "samples",
    ],
}
# what one generate request may ask for: the char-LM runs one request at a time
LIMITS = {"length": 100_000, "samples": 16, "beam": 32}


@dataclass
class Ask:
    """A parsed request: the model, its texts, the options, whether to stream."""

    model: Any
    texts: list[str]
    options: dict
    stream: bool = False


async def read_json(request: Any, limit: int = MAX_BODY) -> dict:
    """The body as a JSON object (400 for none or malformed, 413 past `limit`)."""
    size = request.headers.get("content-length")
    if size is not None and size.isdigit() and int(size) > limit:
        raise Problem(f"the body is larger than {limit} bytes", 413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Problem(f"the body is larger than {limit} bytes", 413)
    if not body.strip():
        raise Problem('the body is empty: send a JSON object such as {"model": ...}')
    try:
        data = json.loads(bytes(body))
    except (ValueError, RecursionError) as e:
        raise Problem(f"malformed JSON: {e}") from None
    if not isinstance(data, dict):
        raise Problem(f"the body must be a JSON object, not {type(data).__name__}")
    return data


def parse(task: str, data: dict) -> Ask:
    """The model, texts and options of a request to /v1/{task}."""
    allowed = ["model", "text", "texts", *OPTIONS[task]]
    if task == "generate":
        allowed.append("stream")
    unknown = [key for key in data if key not in allowed]
    if unknown:
        raise Problem(
            f"unknown field {unknown[0]!r} for {task} (fields: {', '.join(allowed)})",
            422,
        )
    if "model" not in data:
        raise Problem('give "model": the name of a model', 422)
    texts = _texts(data, required=task != "generate")
    options = {key: data[key] for key in OPTIONS[task] if key in data}
    stream = data.get("stream", False)
    if not isinstance(stream, bool):
        raise Problem('"stream" must be true or false', 422)
    if task == "generate":
        for key, most in LIMITS.items():
            value = options.get(key)
            if isinstance(value, int) and value > most:
                raise Problem(f"{key} may be at most {most} here", 422)
        if stream and (len(texts) != 1 or options.get("samples", 1) != 1):
            raise Problem('"stream" gives one sample of one "text"', 422)
    return Ask(data["model"], texts, options, stream)


def _texts(data: dict, required: bool) -> list[str]:
    if "text" in data and "texts" in data:
        raise Problem('give "text" or "texts", not both', 422)
    if "text" in data:
        if not isinstance(data["text"], str):
            raise Problem('"text" must be a string', 422)
        return [data["text"]]
    if "texts" in data:
        texts = data["texts"]
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise Problem('"texts" must be a list of strings', 422)
        return texts
    if required:
        raise Problem('give "text": a string, or "texts": a list of strings', 422)
    return [""]  # generate without a prime starts as a text would
