"""The exception type for problems a user can fix (bad input, missing model...)."""


class SeqcliError(Exception):
    """A user-facing problem; the CLI prints it as one line and exits non-zero."""
