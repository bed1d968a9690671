"""seqcli: train and run classic recurrent sequence models from the command line, or
from Python (`seqcli.load`, see seqcli.api). Importing it imports no PyTorch."""

from seqcli.errors import SeqcliError

__version__ = "0.1.0"
__all__ = ["SeqcliError", "load"]


def load(name: str, *, device: str | None = None, store=None):
    """The model called `name`, ready to call on strings (see seqcli.api.load)."""
    from seqcli import api

    return api.load(name, device=device, store=store)
