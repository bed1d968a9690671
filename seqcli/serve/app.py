"""The ASGI application: routes, errors as {"error": ...}, the token check."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, StreamingResponse
from starlette.routing import Route

from seqcli import kinds
from seqcli.errors import SeqcliError
from seqcli.serve.batching import Batcher
from seqcli.serve.models import Models
from seqcli.serve.problems import Busy, Problem, TimedOut
from seqcli.serve.requests import parse, read_json

log = logging.getLogger("seqcli.serve")
KINDS = {kind.command: kind.name for kind in kinds.KINDS.values()}  # /v1/COMMAND
PIECE = 0.05  # seconds of generation per streamed piece (and between checks)
ENVIRONMENT = "SEQCLI_SERVE"  # the settings, for worker processes (--workers)


@dataclasses.dataclass
class Settings:
    models: list[str] | None = None  # None: every model of the store
    device: str | None = None
    max_batch: int = 32
    wait_ms: float = 5.0
    timeout: float = 30.0
    max_queue: int = 256
    token: str | None = None
    store: str | None = None  # default: $SEQCLI_HOME, else the user data directory


class Server:
    """What the routes share: the models, a batcher per model, and for char-LMs a
    turn per model (generation runs one request at a time)."""

    def __init__(self, settings: Settings):
        from seqcli.store import Store

        self.settings = settings
        store = Store(Path(settings.store)) if settings.store else Store()
        self.models = Models(store, settings.models, settings.device)
        self.batchers: dict[str, Batcher] = {}
        self.turns: dict[str, asyncio.Lock] = {}
        self.waiting: dict[str, int] = {}
        self.generating = 0

    def batcher(self, name: str, model: Any, task: str) -> Batcher:
        if name not in self.batchers:
            self.batchers[name] = Batcher(
                getattr(model, task),
                max_batch=batch_rows(model, self.settings.max_batch),
                wait=self.settings.wait_ms / 1000,
                max_queue=self.settings.max_queue,
            )
        return self.batchers[name]

    @contextlib.asynccontextmanager
    async def turn(self, name: str) -> AsyncIterator[None]:
        """The char-LM `name` to oneself: 503 when too many wait, 504 when the
        turn does not come within the timeout."""
        if self.waiting.get(name, 0) >= self.settings.max_queue:
            raise Busy(f"too many requests waiting ({self.settings.max_queue})")
        lock = self.turns.setdefault(name, asyncio.Lock())
        self.waiting[name] = self.waiting.get(name, 0) + 1
        try:
            await asyncio.wait_for(lock.acquire(), self.settings.timeout)
        except asyncio.TimeoutError:
            raise TimedOut(f"no turn within {self.settings.timeout:g} s") from None
        finally:
            self.waiting[name] -= 1
        self.generating += 1
        try:
            yield
        finally:
            self.generating -= 1
            lock.release()


def batch_rows(model: Any, max_batch: int) -> int:
    """The largest batch that runs on the backend of one row: a request's records
    then do not depend on the requests it was batched with (seqcli.inference picks
    PyTorch over the exported graphs for many rows)."""
    backend = model.loaded.backend
    rows = max_batch
    while rows > 1 and backend(rows) != backend(1):
        rows -= 1
    return rows


def error(message: str, status: int, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status, headers=headers)


def answers(handler):
    """An endpoint whose failures become {"error": ...} with their status; a bug
    is logged and answered 500, without its traceback."""

    async def endpoint(request: Request):
        try:
            return await handler(request, request.app.state.server)
        except Problem as e:
            return error(e.message, e.status)
        except SeqcliError as e:  # a value seqcli.api refused
            return error(str(e), 422)
        except ClientDisconnect:
            return error("the client went away", 400)
        except Exception:
            log.exception("%s %s failed", request.method, request.url.path)
            return error("internal error (the server's log has the details)", 500)

    return endpoint


async def health(request: Request, server: Server):
    return JSONResponse(
        {
            "status": "ok",
            "loaded": sorted(server.models.loaded),
            "generating": server.generating,
        }
    )


async def models(request: Request, server: Server):
    rows = await asyncio.to_thread(server.models.listing)
    for row in rows:  # how well batching goes: texts per call of the model
        if batcher := server.batchers.get(row["name"]):
            row["batches"] = {"calls": batcher.calls, "texts": batcher.texts}
    return JSONResponse({"models": rows})


def task_endpoint(task: str):
    async def run(request: Request, server: Server):
        ask = parse(task, await read_json(request))
        model = await server.models.get(ask.model, KINDS[task])
        if task == "generate":
            return await generate(server, model, ask)
        batcher = server.batcher(ask.model, model, task)
        timeout = server.settings.timeout
        try:
            records = await asyncio.wait_for(
                batcher.submit(ask.texts, ask.options), timeout
            )
        except asyncio.TimeoutError:
            raise TimedOut(f"no answer within {timeout:g} s") from None
        return JSONResponse({"records": records})

    return Route(f"/v1/{task}", answers(run), methods=["POST"])


async def generate(server: Server, model: Any, ask: Any):
    model.check_options(**ask.options)  # refused before any turn is taken
    if ask.stream:
        return StreamingResponse(
            stream(server, model, ask),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def run() -> list[dict]:
        async with server.turn(model.name):
            records = []
            for prime in ask.texts:
                sample = await asyncio.to_thread(model.sample, prime, **ask.options)
                steps = []
                async for piece in pieces(sample):
                    steps += piece
                records += dataclasses.replace(sample, steps=iter(steps)).records()
            return records

    timeout = server.settings.timeout
    try:
        records = await asyncio.wait_for(run(), timeout)
    except asyncio.TimeoutError:  # the generation stops at its next piece
        raise TimedOut(f"no answer within {timeout:g} s") from None
    return JSONResponse({"records": records})


async def pieces(sample: Any) -> AsyncIterator[list]:
    """The steps of a sample (seqcli.api CharLM.sample), a piece at a time, each
    made in a thread: the steps run only as the pieces are asked for, so a caller
    that stops asking (a client gone, a timeout) stops the generation."""
    while True:
        steps = await asyncio.to_thread(_take, sample.steps, PIECE)
        if not steps:
            return
        yield steps


def _take(steps: Any, seconds: float) -> list:
    found, end = [], time.monotonic() + seconds
    for step in steps:
        found.append(step)
        if time.monotonic() >= end:
            break
    return found


def event(data: dict, name: str | None = None) -> str:
    """One server-sent event (JSON on one line: json.dumps escapes line ends)."""
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {json.dumps(data, ensure_ascii=False)}\n\n"


async def stream(server: Server, model: Any, ask: Any) -> AsyncIterator[str]:
    """A piece of text per event, then a "done" event with the records; a failure
    once the stream has begun comes as an "error" event."""
    try:
        async with server.turn(model.name):
            sample = await asyncio.to_thread(model.sample, ask.texts[0], **ask.options)
            steps: list = []
            async for piece in pieces(sample):
                steps += piece
                yield event({"text": "".join(step[0] for step in piece)})
            records = dataclasses.replace(sample, steps=iter(steps)).records()
            yield event({"records": records}, "done")
    except Problem as e:
        yield event({"error": e.message}, "error")
    except SeqcliError as e:
        yield event({"error": str(e)}, "error")
    except Exception:
        log.exception("a generation failed")
        yield event({"error": "internal error (the server's log has it)"}, "error")


def page(request: Request):
    from seqcli.serve.page import render

    return HTMLResponse(render())


class TokenCheck:
    """ASGI middleware: /v1/ asks for `Authorization: Bearer TOKEN` (compared in
    constant time); the page and /health do not (they hold no data)."""

    def __init__(self, app: Any, token: str):
        self.app, self.expected = app, f"Bearer {token}".encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            given = dict(scope["headers"]).get(b"authorization")
            if given is None or not hmac.compare_digest(given, self.expected):
                what = "wrong token" if given else "this server needs a token"
                response = error(
                    f"{what}: send Authorization: Bearer TOKEN",
                    401,
                    {"WWW-Authenticate": "Bearer"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def http_error(request: Request, e: HTTPException) -> JSONResponse:
    """Starlette's own refusals (no such route, a wrong method) as JSON too."""
    return error(str(e.detail), e.status_code, getattr(e, "headers", None))


def create_app(settings: Settings) -> Any:
    """The application; its state (models, batchers) is made at each startup."""

    @contextlib.asynccontextmanager
    async def lifespan(app):
        app.state.server = Server(settings)
        yield
        for batcher in app.state.server.batchers.values():
            if batcher.task is not None:
                batcher.task.cancel()

    routes = [
        Route("/", page),
        Route("/health", answers(health)),
        Route("/v1/models", answers(models)),
        *(task_endpoint(task) for task in KINDS),
    ]
    middleware = [Middleware(TokenCheck, token=settings.token)]
    app = Starlette(
        routes=routes,
        middleware=middleware if settings.token else [],
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error},
    )
    app.state.server = Server(settings)  # for callers that skip the lifespan
    return app


def from_environment() -> Any:
    """The application of a worker process (seqcli serve --workers N)."""
    return create_app(Settings(**json.loads(os.environ[ENVIRONMENT])))
