"""The models a server answers for, each loaded on its first request, once."""

from __future__ import annotations

import asyncio
from typing import Any

from seqcli.errors import SeqcliError
from seqcli.serve.problems import Problem
from seqcli.store import NAME, Store


class Models:
    """Models by name: `only` (seqcli serve -m), or any model of the store."""

    def __init__(self, store: Store, only: list[str] | None, device: str | None):
        self.store, self.only, self.device = store, only, device
        self.loaded: dict[str, Any] = {}  # name → seqcli.api model
        self.locks: dict[str, asyncio.Lock] = {}

    def names(self) -> list[str]:
        # without -m the store is read on each call: a model trained meanwhile
        # is served too
        return list(self.only) if self.only is not None else self.store.names()

    def check(self, name: Any) -> str:
        """The name, if it names a model served here (the store's name rule first:
        no request reaches a path outside the store)."""
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise Problem(f"invalid model name {name!r}", 422)
        if self.only is not None:
            known = name in self.only
        else:  # a loaded model stays served until the server stops
            known = name in self.loaded or self.store.has(name)
        if not known:
            raise Problem(f"no model named {name!r} is served here", 404)
        return name

    async def get(self, name: Any, kind: str) -> Any:
        """The model called `name`, of `kind`, loaded (in a thread) on first use."""
        name = self.check(name)
        if name not in self.loaded:
            lock = self.locks.setdefault(name, asyncio.Lock())
            async with lock:  # one load, however many requests wait for it
                if name not in self.loaded:
                    model = await asyncio.to_thread(self._load, name, kind)
                    self.loaded[name] = model
        model = self.loaded[name]
        if model.kind != kind:
            raise Problem(f"model {name!r} is a {model.kind} model, not a {kind}", 422)
        return model

    def _load(self, name: str, kind: str) -> Any:
        from seqcli import api

        try:
            found = self.store.manifest(name).get("kind")
            if found != kind:  # refused before the loading
                raise Problem(f"model {name!r} is a {found} model, not a {kind}", 422)
            model = api.load(name, device=self.device, store=self.store)
            model.network(1)  # the backend of one row, ready (a graph export)
        except SeqcliError as e:
            raise Problem(str(e), 422) from None
        return model

    def listing(self) -> list[dict]:
        """name, kind, loaded, metrics (the manifest's) and more, per model."""
        rows = []
        for name in self.names():
            try:
                row = self.store.describe(name)
            except SeqcliError:  # removed meanwhile
                continue
            found = {
                "name": name,
                "kind": row["kind"],
                "loaded": name in self.loaded,
                "metrics": row["metrics"],
                "builtin": row["builtin"],
                "status": row["status"],
            }
            if row["with_dev"]:  # no dev score of its own
                found |= {"with_dev": True, "dev_run_metrics": row["dev_run_metrics"]}
            rows.append(found)
        return rows
