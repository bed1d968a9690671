"""The errors a request can meet, each with its HTTP status."""

from __future__ import annotations


class Problem(Exception):
    """A request the server refuses or cannot answer: `status` and a one-line
    message, sent as {"error": message}."""

    status = 400

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class Busy(Problem):
    status = 503


class TimedOut(Problem):
    status = 504
