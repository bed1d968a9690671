"""The exception type for problems a user can fix (bad input, missing model...)."""


class SeqcliError(Exception):
    """A user-facing problem; the CLI prints it as one line and exits non-zero."""


class OptionError(SeqcliError):
    """A bad option or argument found only as the command runs (options that do not
    go together, or do not fit the model): the CLI exits 2, as for click's own
    usage errors."""
