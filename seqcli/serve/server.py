"""uvicorn's server, ending with exit status 0 on SIGINT or SIGTERM."""

from __future__ import annotations

import contextlib
import signal

import uvicorn


class Server(uvicorn.Server):
    """On SIGINT or SIGTERM uvicorn stops taking connections, finishes the requests
    in flight, then raises the signal again, which would end the process with 130 or
    143; this one returns instead, and `seqcli serve` exits 0."""

    @contextlib.contextmanager
    def capture_signals(self):
        handled = (signal.SIGINT, signal.SIGTERM)
        before = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in before.items():
                signal.signal(sig, handler)
