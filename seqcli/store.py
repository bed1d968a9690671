"""The checkpoint store: one folder per model, weights in safetensors, the rest in JSON.

A folder holds `manifest.json` and the weights file it names, `model-<sha>.safetensors`
(older models name theirs `manifest-<sha>.safetensors`: the manifest says
which). Writing the manifest (temp file + rename) is the commit point of a save: a
crash before it leaves the previous manifest and its weights untouched. A resumable
training state is kept the same way beside it (`train-state.json`,
`train-state-<sha>.safetensors`). Nothing goes through pickle.

A training holds the model's lock (`.lock` in its folder, see seqcli.lock) from its
first check to its last save; another training, `--force`, `--resume` or `models rm`
of that model is refused meanwhile. Readers take no lock: every file they read is
complete, since each is written whole and then renamed into place.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from seqcli.errors import SeqcliError
from seqcli.manifest import Manifest

FORMAT = 1
MODEL, STATE = "manifest", "train-state"  # the JSON files' names
LOCK = ".lock"
# the weights files' name stems, and what older models' weights are called
WEIGHTS = {MODEL: ("model", "manifest"), STATE: ("train-state",)}
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
BUILTIN = Path(__file__).parent / "defaults"


def home() -> Path:
    """$SEQCLI_HOME, else the user data directory (e.g. ~/.local/share/seqcli)."""
    root = os.environ.get("SEQCLI_HOME")
    if root:
        return Path(root).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("seqcli", appauthor=False))


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise SeqcliError(
            f"invalid model name {name!r}: use letters, digits, '.', '_' and '-' "
            "(at most 64, starting with a letter or digit)"
        )
    return name


def holds_model(folder: Path) -> bool:
    """A model's folder: a manifest, or a training's state before the first save."""
    return (folder / f"{MODEL}.json").exists() or (folder / f"{STATE}.json").exists()


class Store:
    """Models under `root` (the user's, writable) and `builtin` (shipped, read-only)."""

    def __init__(
        self, root: Path | None = None, builtin: Path | None | str = "package"
    ):
        self.root = Path(root) if root is not None else home()
        self.builtin = BUILTIN if builtin == "package" else builtin

    # --- finding models ---
    def names(self) -> list[str]:
        """All model names, the user's and the built-in ones, sorted."""
        found = set()
        for base in (self.root, self.builtin):
            if base is not None and base.is_dir():
                found |= {d.name for d in base.iterdir() if holds_model(d)}
        return sorted(found)

    def has(self, name: str) -> bool:
        """Whether `name` is one of names() (a few stats, not a listing)."""
        return holds_model(self._user_dir(name)) or self._builtin_dir(name) is not None

    def is_builtin(self, name: str) -> bool:
        return not self._user_dir(name).is_dir() and self._builtin_dir(name) is not None

    def path(self, name: str) -> Path:
        """The folder of an existing model (the user's first, then the built-in)."""
        user = self._user_dir(name)
        if holds_model(user):
            return user
        builtin = self._builtin_dir(name)
        if builtin is not None:
            return builtin
        known = ", ".join(self.names()) or "none yet"
        raise SeqcliError(f"no model named {name!r} (models: {known})")

    def cache_dir(self, name: str) -> Path:
        """Where files made from a model are kept (its ONNX export): in its folder,
        or for a built-in model under the user's store."""
        if self.is_builtin(name):
            return self.root / ".cache" / check_name(name)
        return self.path(name)

    def _user_dir(self, name: str) -> Path:
        return self.root / check_name(name)

    def _builtin_dir(self, name: str) -> Path | None:
        if self.builtin is None:
            return None
        d = self.builtin / check_name(name)
        return d if (d / f"{MODEL}.json").exists() else None

    # --- models ---
    def save(self, name: str, tensors: dict, manifest: dict) -> Path:
        """Atomically write a model's weights and manifest; returns its folder."""
        import torch

        from seqcli import __version__

        manifest = {
            **manifest,
            "format": FORMAT,
            "name": name,
            "created": datetime.datetime.now()
            .astimezone()
            .isoformat(timespec="seconds"),
            "versions": {"seqcli": __version__, "torch": torch.__version__},
        }
        folder = self._user_dir(name)
        _write_pair(folder, MODEL, tensors, manifest)
        return folder

    def write_manifest(self, name: str, manifest: dict) -> None:
        """Replace a user's model's manifest, its weights kept (what is learnt after
        training, e.g. a classifier's calibration); the caller holds the model's
        lock. Refused unless the manifest names the weights already there."""
        folder = self._user_dir(name)
        if _read_weights_name(folder / f"{MODEL}.json") != manifest["weights"]["file"]:
            raise SeqcliError(f"model {name!r} changed meanwhile: not rewritten")
        try:
            _atomic_write(
                folder / f"{MODEL}.json", json.dumps(manifest, indent=1).encode()
            )
        except OSError as e:
            raise SeqcliError(
                f"cannot rewrite {name!r} in {folder.parent}: {e.strerror or e}"
            ) from None

    def manifest(self, name: str, kind: str | None = None) -> Manifest:
        """A model's manifest (format version checked), and its kind if given."""
        meta = _read_json(self.path(name) / f"{MODEL}.json", name)
        if meta is None:
            raise SeqcliError(
                f"model {name!r} has no finished checkpoint yet, only a training "
                "state: continue it with --resume"
            )
        if kind is not None and meta.get("kind") != kind:
            raise SeqcliError(
                f"model {name!r} is a {meta.get('kind')} model, not a {kind} model"
            )
        return Manifest(meta)

    def load(
        self, name: str, kind: str | None = None, *, numpy: bool = False
    ) -> tuple[Manifest, dict]:
        """(manifest, tensors) of a model, verified: format version, kind, sha256.

        numpy: the tensors as numpy arrays (without importing PyTorch).
        """
        manifest = self.manifest(name, kind)
        return manifest, self.tensors(name, manifest, numpy=numpy)

    def verify(self, name: str, manifest: dict) -> None:
        """Raise a SeqcliError unless the model's weights match their sha256 (what
        running it from an export made earlier relies on)."""
        _weights_blob(self.path(name), manifest, name)

    def tensors(self, name: str, manifest: dict, *, numpy: bool = False) -> dict:
        """The weights a manifest read from this store names, verified (sha256)."""
        return _read_tensors(self.path(name), manifest, name, numpy)

    def load_weights(self, model, name: str, manifest: dict):
        """`model` (a torch.nn.Module built from `manifest`) with the stored
        weights, verified, in full precision, in eval mode."""
        tensors = self.tensors(name, manifest)
        # weights may be stored in half precision; compute in full precision
        tensors = {
            k: v.float() if v.is_floating_point() else v for k, v in tensors.items()
        }
        try:
            model.load_state_dict(tensors)
        except RuntimeError:
            raise SeqcliError(
                f"model {name!r} is damaged: its weights do not fit its configuration"
            ) from None
        return model.eval()

    def remove(self, name: str) -> None:
        """Delete a model of the user's; refused while a training holds it."""
        if self.is_builtin(name):
            raise SeqcliError(f"model {name!r} is built in and cannot be removed")
        folder = self.path(name)
        with self.lock(name):
            shutil.rmtree(folder)

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Hold the model's lock while writing it (training, removing); raises a
        SeqcliError naming the process that holds it. A folder left with nothing but
        the lock (a run that failed before saving) is removed afterwards."""
        from seqcli.lock import FileLock, Held

        folder = self._user_dir(name)
        lock = FileLock(folder / LOCK)
        try:
            lock.acquire()
        except Held as e:
            raise SeqcliError(
                f"model {name!r} is being trained by another process (pid {e.pid}); "
                "wait for it to end or stop it first"
            ) from None
        except OSError as e:  # $SEQCLI_HOME is a file, or not writable
            raise SeqcliError(
                f"cannot write the model store {self.root} ({e.strerror}); set "
                "SEQCLI_HOME to a writable folder"
            ) from None
        try:
            yield
        finally:
            try:
                if folder.is_dir() and [f.name for f in folder.iterdir()] == [LOCK]:
                    shutil.rmtree(folder)
            finally:
                lock.release()

    # --- resumable training state ---
    def save_state(self, name: str, tensors: dict, meta: dict) -> None:
        _write_pair(self._user_dir(name), STATE, tensors, {**meta, "format": FORMAT})

    def has_state(self, name: str) -> bool:
        return (self._user_dir(name) / f"{STATE}.json").exists()

    def state_meta(self, name: str) -> dict:
        """The JSON part of a model's training state (its weights left unread)."""
        meta = _read_json(self._user_dir(name) / f"{STATE}.json", name)
        if meta is None:
            raise SeqcliError(f"model {name!r} has no training state to resume from")
        return meta

    def load_state(self, name: str) -> tuple[dict, dict]:
        meta = self.state_meta(name)
        return meta, _read_tensors(self._user_dir(name), meta, name)

    # --- listing ---
    def describe(self, name: str) -> dict:
        """A summary row for `models list`."""
        folder = self.path(name)
        size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
        try:
            meta = _read_json(folder / f"{MODEL}.json", name)
        except SeqcliError:
            meta = {"kind": "?", "status": "damaged"}
        if meta is None:
            meta = {"kind": "?", "status": "training (resumable)"}
        if meta.get("pretrained"):  # started from (--lm), never run
            meta = {**meta, "status": "pretrained encoder"}
        return {
            "name": name,
            "kind": meta.get("kind", "?"),
            "bytes": size,
            "metrics": meta.get("metrics", {}),
            "created": meta.get("created", ""),
            "builtin": self.is_builtin(name),
            "status": meta.get("status", "ok"),
            "with_dev": bool(meta.get("training", {}).get("with_dev")),
            # a --with-dev model has no dev score of its own: its dev run's
            "dev_run_metrics": meta.get("dev_run_metrics", {}),
        }


def _write_pair(folder: Path, stem: str, tensors: dict, meta: dict) -> None:
    """Write `stem`.json and the weights it names, replacing the old ones. Where the
    disk is full or the store read-only, a SeqcliError says so and the previous
    pair stays as it was."""
    from safetensors.torch import save

    blob = save({k: v.detach().contiguous().cpu() for k, v in tensors.items()})
    digest = hashlib.sha256(blob).hexdigest()
    weights = f"{WEIGHTS[stem][0]}-{digest[:16]}.safetensors"
    meta = {**meta, "weights": {"file": weights, "sha256": digest, "bytes": len(blob)}}
    before = _read_weights_name(folder / f"{stem}.json")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _atomic_write(folder / weights, blob)
        _atomic_write(folder / f"{stem}.json", json.dumps(meta, indent=1).encode())
    except OSError as e:
        if weights != before:  # the new weights were never put in use
            with contextlib.suppress(OSError):
                (folder / weights).unlink(missing_ok=True)
        reason = {errno.ENOSPC: "the disk is full", errno.EROFS: "it is read-only"}
        why = reason.get(e.errno, e.strerror or str(e))
        raise SeqcliError(
            f"cannot save {folder.name!r} in {folder.parent}: {why}; the previous "
            f"{'model' if stem == MODEL else 'training state'} is kept"
        ) from None
    # only now that the new manifest is in place may the old weights go
    for old_stem in WEIGHTS[stem]:
        for old in folder.glob(f"{old_stem}-*.safetensors"):
            if old.name != weights:
                old.unlink(missing_ok=True)


def _read_weights_name(path: Path) -> str | None:
    """The weights file a JSON file of the store names, if it can be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))["weights"]["file"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _read_json(path: Path, name: str) -> dict | None:
    if not path.exists():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise SeqcliError(
            f"model {name!r} is damaged: {path.name} is not valid JSON"
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        version = meta.get("format") if isinstance(meta, dict) else None
        raise SeqcliError(
            f"model {name!r} has checkpoint format {version}; "
            f"this seqcli reads format {FORMAT}"
        )
    return meta


def _weights_blob(folder: Path, meta: dict, name: str) -> bytes:
    """The bytes of a model's weights file, checked against the manifest's sha256:
    the one check of whether a model is sound, whichever way it is then run."""
    weights = meta.get("weights") or {}
    file = folder / str(weights.get("file", ""))
    if not weights.get("file") or not file.is_file():
        raise SeqcliError(f"model {name!r} is damaged: its weights file is missing")
    blob = file.read_bytes()
    if hashlib.sha256(blob).hexdigest() != weights.get("sha256"):
        raise SeqcliError(
            f"model {name!r} is damaged: {file.name} does not match its sha256 "
            "(truncated or modified)"
        )
    return blob


def _read_tensors(folder: Path, meta: dict, name: str, numpy: bool = False) -> dict:
    from safetensors import SafetensorError

    if numpy:
        from safetensors.numpy import load
    else:
        from safetensors.torch import load

    blob = _weights_blob(folder, meta, name)
    try:
        return load(blob)
    except SafetensorError as e:
        raise SeqcliError(f"model {name!r} is damaged: {e}") from None
