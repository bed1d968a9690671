"""Test isolation (every test gets its own store and runs on the CPU) and the helpers
the test files share: `runner`, `invoke`, `one_thread`, `no_onednn`, `train_once`,
`home` and `builtin_graphs`, and `one_thread_while` for a kind's package-scoped
training fixtures."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from seqcli.cli import cli

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def env_setup(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQCLI_HOME", str(tmp_path / "store"))
    monkeypatch.setenv("SEQCLI_DEVICE", "cpu")
    from seqcli import console

    monkeypatch.setattr(console, "quiet", False)


@pytest.fixture
def runner():
    return CliRunner()


def _invoke(runner: CliRunner, *args, input=None) -> Result:
    return runner.invoke(
        cli, [str(a) for a in args], input=input, catch_exceptions=False
    )


@pytest.fixture(scope="session")
def invoke():
    """invoke(runner, *args, input=None): `seqcli ARGS` through Click's runner, each
    argument str()-ed. An exception the CLI does not turn into an exit code fails the
    test with its traceback (instead of hiding in result.exception)."""
    return _invoke


@pytest.fixture(scope="module")
def one_thread():
    """One intra-op thread, restored after the module: on a busy 2-core machine two
    threads wait on each other and small ops get many times slower. A module opts in
    with `pytestmark = pytest.mark.usefixtures("one_thread")`; a module-scoped fixture
    that trains requests it as an argument, so that it holds during the training."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def no_onednn():
    """oneDNN off for the module: it spends seconds preparing each new shape, which
    tiny models never win back."""
    import torch

    enabled = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    yield
    torch.backends.mkldnn.enabled = enabled


@contextmanager
def one_thread_while(*, onednn: bool = True):
    """What `one_thread` (and, with onednn=False, `no_onednn`) give a module, for the
    duration of a with-block: a package-scoped fixture that trains (tests/<kind>/
    conftest.py) cannot request those module-scoped fixtures, so it trains inside
    this instead and leaves the settings as they were."""
    import torch

    threads = torch.get_num_threads()
    enabled = torch.backends.mkldnn.enabled
    torch.set_num_threads(1)
    if not onednn:
        torch.backends.mkldnn.enabled = False
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.backends.mkldnn.enabled = enabled


@dataclass
class Trained:
    """A store trained once for a module by `train_once`."""

    root: Path  # the folder the training ran in: its data files, and store/
    result: Result  # the training run (stdout and stderr apart)

    @property
    def store(self) -> Path:
        return self.root / "store"


@pytest.fixture(scope="module")
def train_once(tmp_path_factory, one_thread):
    """train_once(*args, files={name: text}) -> Trained: runs `seqcli train ARGS` in a
    new folder (its working directory meanwhile, so relative paths in ARGS name files
    there) after writing `files` into it, on one thread, into the store folder/store;
    fails unless it exits 0.

    A module defines a module-scoped `trained_store` fixture returning train_once(...);
    `home` then gives each test its own copy of that store."""

    def train(*args, files: dict[str, str] | None = None) -> Trained:
        from seqcli import console

        root = tmp_path_factory.mktemp("trained")
        for name, text in (files or {}).items():
            (root / name).write_text(text, encoding="utf-8")
        env = {"SEQCLI_HOME": str(root / "store"), "SEQCLI_DEVICE": "cpu"}
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(root)
            mp.setattr(console, "quiet", False)
            result = CliRunner().invoke(
                cli, [str(a) for a in args], env=env, catch_exceptions=False
            )
        assert result.exit_code == 0, result.output
        return Trained(root, result)

    return train


@pytest.fixture
def home(trained_store: Trained, tmp_path, monkeypatch) -> Path:
    """This test's own copy of the module's `trained_store`, as $SEQCLI_HOME."""
    home = tmp_path / "home"
    shutil.copytree(trained_store.store, home)
    monkeypatch.setenv("SEQCLI_HOME", str(home))
    return home


# the built-ins `seqcli serve` is tested with (tests/test_serve.py, test_page.py)
SERVED = ["conll-en", "multi30k-en-de", "sentiment-en", "shakespeare"]


@pytest.fixture(scope="session")
def builtin_graphs(tmp_path_factory) -> Path:
    """The `.cache` folder of a store holding the SERVED built-ins' exported graphs,
    made once for the session: a test links them into its store instead of
    exporting again (seconds per model)."""
    import seqcli

    root = tmp_path_factory.mktemp("graphs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQCLI_HOME", str(root))
        for name in SERVED:
            seqcli.load(name, device="cpu").network(1)
    return root / ".cache"


@pytest.fixture
def shared_corpora():
    path = SHARED / "corpora"
    if not path.is_dir():
        pytest.skip("../shared/corpora is not present")
    return path


def start_server(*args: str):
    """A real `seqcli serve ARGS` process on a free port, once it answers /health:
    (its URL, the process)."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "seqcli", "serve", "--port", str(port), *args, "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/health", timeout=1)
            return url, process
        except httpx.TransportError:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
