import errno
import json
import os
import subprocess
import sys

import pytest
import torch

from seqcli import store as store_module
from seqcli.errors import SeqcliError
from seqcli.store import Store


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "home", builtin=tmp_path / "builtin")


def tensors(value: float) -> dict:
    return {"w": torch.full((3, 2), value), "b": torch.arange(4)}


def save(store, name="m", value=1.0, kind="charlm"):
    store.save(name, tensors(value), {"kind": kind, "config": {"x": value}})


def test_save_then_load_gives_identical_tensors(store):
    save(store)
    manifest, loaded = store.load("m", "charlm")
    assert manifest["kind"] == "charlm" and manifest["config"] == {"x": 1.0}
    assert manifest["format"] == store_module.FORMAT
    assert set(manifest["versions"]) == {"seqcli", "torch"}
    for k, v in tensors(1.0).items():
        assert torch.equal(loaded[k], v)


def test_home_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SEQCLI_HOME", str(tmp_path / "x"))
    assert Store().root == tmp_path / "x"
    monkeypatch.delenv("SEQCLI_HOME")
    assert "seqcli" in str(Store().root)


def test_a_new_save_replaces_the_old_one_and_its_weights(store):
    save(store, value=1.0)
    save(store, value=2.0)
    assert torch.equal(store.load("m")[1]["w"], torch.full((3, 2), 2.0))
    assert len(list((store.root / "m").glob("model-*.safetensors"))) == 1


def test_a_model_with_the_older_weights_name_loads_and_is_replaced(store):
    # models saved before the weights file was called model-<sha> (the built-ins)
    save(store, value=1.0)
    folder = store.root / "m"
    (weights,) = folder.glob("model-*.safetensors")
    old_name = weights.name.replace("model-", "manifest-")
    weights.rename(folder / old_name)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["weights"]["file"] = old_name
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert torch.equal(store.load("m")[1]["w"], torch.full((3, 2), 1.0))
    save(store, value=2.0)
    assert [f.name.split("-")[0] for f in folder.glob("*.safetensors")] == ["model"]
    assert torch.equal(store.load("m")[1]["w"], torch.full((3, 2), 2.0))


@pytest.mark.parametrize("fail_on", ["weights", "manifest"])
def test_a_save_killed_midway_leaves_the_old_model_loadable(
    store, monkeypatch, fail_on
):
    save(store, value=1.0)
    real_replace = os.replace

    def dying_replace(src, dst):
        if (fail_on == "manifest") == str(dst).endswith(".json"):
            raise KeyboardInterrupt("killed")
        return real_replace(src, dst)

    monkeypatch.setattr(store_module.os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        save(store, value=2.0)
    monkeypatch.undo()
    assert torch.equal(store.load("m")[1]["w"], torch.full((3, 2), 1.0))
    assert not list((store.root / "m").glob(".*tmp*"))


@pytest.mark.parametrize(
    "error, message", [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "read-only")]
)
@pytest.mark.parametrize("fail_on", ["weights", "manifest"])
def test_a_full_disk_or_read_only_store_is_a_clear_error_and_keeps_the_model(
    store, monkeypatch, fail_on, error, message
):
    save(store, value=1.0)
    store.save_state("m", {"x": torch.ones(2)}, {"position": {"step": 3}})
    before = sorted(f.name for f in (store.root / "m").iterdir())
    real_replace = os.replace

    def failing_replace(src, dst):
        if (fail_on == "manifest") == str(dst).endswith(".json"):
            raise OSError(error, os.strerror(error))
        return real_replace(src, dst)

    monkeypatch.setattr(store_module.os, "replace", failing_replace)
    with pytest.raises(SeqcliError, match=f"cannot save 'm'.*{message}.*model is kept"):
        save(store, value=2.0)
    with pytest.raises(SeqcliError, match=f"{message}.*training state is kept"):
        store.save_state("m", {"x": torch.zeros(2)}, {"position": {"step": 4}})
    monkeypatch.undo()
    assert torch.equal(store.load("m")[1]["w"], torch.full((3, 2), 1.0))
    meta, state = store.load_state("m")
    assert meta["position"]["step"] == 3 and torch.equal(state["x"], torch.ones(2))
    assert sorted(f.name for f in (store.root / "m").iterdir()) == before


HOLD = """
import sys, time
from seqcli.lock import FileLock
FileLock(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(60)
"""


def hold_lock(path) -> subprocess.Popen:
    """Another process holding the lock at `path` (until it is killed)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline() == "held\n"
    return holder


def test_a_model_locked_by_another_process_cannot_be_written_or_removed(store):
    save(store)
    holder = hold_lock(store.root / "m" / store_module.LOCK)
    try:
        for attempt in (lambda: store.lock("m").__enter__(), lambda: store.remove("m")):
            with pytest.raises(
                SeqcliError, match=f"another process \\(pid {holder.pid}\\)"
            ):
                attempt()
        assert store.load("m")[0]["kind"] == "charlm"  # readers are not blocked
    finally:
        holder.kill()
        holder.wait()
    # the kernel released the killed process's lock: nothing is left held
    with store.lock("m"), store.lock("m"):  # and it is reentrant in one process
        pass
    store.remove("m")
    assert store.names() == []


def test_a_lock_taken_for_a_name_that_saved_nothing_leaves_no_folder(store):
    with store.lock("never"):
        assert (store.root / "never" / store_module.LOCK).exists()
    assert not (store.root / "never").exists()


def test_tampered_weights_are_refused(store):
    save(store)
    (weights,) = (store.root / "m").glob("model-*.safetensors")
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    with pytest.raises(SeqcliError, match="damaged.*sha256"):
        store.load("m")


def test_truncated_weights_are_refused(store):
    save(store)
    (weights,) = (store.root / "m").glob("model-*.safetensors")
    weights.write_bytes(weights.read_bytes()[:20])
    with pytest.raises(SeqcliError, match="damaged"):
        store.load("m")


def test_broken_manifest_and_other_format_are_refused(store):
    save(store)
    path = store.root / "m" / "manifest.json"
    meta = json.loads(path.read_text())
    path.write_text(json.dumps({**meta, "format": 99}))
    with pytest.raises(SeqcliError, match="format 99"):
        store.load("m")
    path.write_text("{not json")
    with pytest.raises(SeqcliError, match="not valid JSON"):
        store.load("m")


def test_another_kind_is_refused(store):
    save(store, kind="tagger")
    with pytest.raises(SeqcliError, match="'m' is a tagger model, not a charlm model"):
        store.load("m", "charlm")


def test_unknown_name_lists_what_exists(store):
    save(store, "alpha")
    with pytest.raises(SeqcliError, match=r"no model named 'beta' \(models: alpha\)"):
        store.load("beta")


def test_bad_names_are_refused(store):
    for name in ["../x", "", ".hidden", "a/b", "x" * 65]:
        with pytest.raises(SeqcliError, match="invalid model name"):
            store.path(name)


def test_remove(store):
    save(store, "a")
    save(store, "b")
    store.remove("a")
    assert store.names() == ["b"]


def test_builtin_models_load_but_cannot_be_removed(tmp_path):
    Store(tmp_path / "builtin", builtin=None).save(
        "base", tensors(3.0), {"kind": "charlm"}
    )
    store = Store(tmp_path / "home", builtin=tmp_path / "builtin")
    assert store.names() == ["base"] and store.is_builtin("base")
    assert torch.equal(store.load("base")[1]["w"], torch.full((3, 2), 3.0))
    with pytest.raises(SeqcliError, match="built in"):
        store.remove("base")
    assert store.describe("base")["builtin"]


def test_training_state_round_trip(store):
    store.save_state("m", {"x": torch.ones(2)}, {"position": {"step": 3}})
    assert store.has_state("m") and store.names() == ["m"]
    meta, loaded = store.load_state("m")
    assert meta["position"] == {"step": 3} and torch.equal(loaded["x"], torch.ones(2))
    with pytest.raises(SeqcliError, match="only a training state"):
        store.load("m")


def stored_format(path) -> str:
    """'json' or 'safetensors' when the file is one that parses as such, else why not.

    safetensors: 8 bytes of little-endian header length, that many bytes of a JSON
    object naming each tensor's dtype, shape and data offsets, then the data, which
    the safetensors library must load. Zip archives (torch.save) and pickles (the
    0x80 protocol byte, torch.save's legacy format) are named as such."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    if data.startswith(b"\x80"):
        return "pickle"
    try:
        json.loads(data.decode("utf-8"))
        return "json"
    except (UnicodeDecodeError, ValueError):
        pass
    if len(data) < 8:
        return "unknown"
    length = int.from_bytes(data[:8], "little")
    try:
        header = json.loads(data[8 : 8 + length].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return "unknown"
    if not isinstance(header, dict) or 8 + length > len(data):
        return "unknown"
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    if not all({"dtype", "shape", "data_offsets"} <= set(v) for v in tensors.values()):
        return "unknown"
    try:
        loaded = load(data)
    except SafetensorError:
        return "unknown"
    return "safetensors" if set(loaded) == set(tensors) else "unknown"


def test_the_format_check_rejects_torch_save_and_pickle(tmp_path):
    import pickle

    from safetensors.torch import save_file

    torch.save(tensors(1.0), tmp_path / "zip.pt")
    torch.save(
        tensors(1.0), tmp_path / "legacy.pt", _use_new_zipfile_serialization=False
    )
    (tmp_path / "pickle.pkl").write_bytes(pickle.dumps({"x": [1.0]}))
    (tmp_path / "pickle0.pkl").write_bytes(pickle.dumps({"x": [1.0]}, protocol=0))
    save_file(tensors(1.0), tmp_path / "ok.safetensors")
    (tmp_path / "ok.json").write_text('{"kind": "charlm"}')
    cut = (tmp_path / "ok.safetensors").read_bytes()[:-4]
    (tmp_path / "cut.safetensors").write_bytes(cut)
    assert {f.name: stored_format(f) for f in tmp_path.iterdir()} == {
        "zip.pt": "zip",
        "legacy.pt": "pickle",
        "pickle.pkl": "pickle",
        "pickle0.pkl": "unknown",
        "ok.safetensors": "safetensors",
        "ok.json": "json",
        "cut.safetensors": "unknown",
    }


def assert_only_json_and_safetensors(folder):
    formats = {f.name: stored_format(f) for f in folder.iterdir()}
    assert set(formats.values()) == {"json", "safetensors"}, formats
    return formats


def test_no_pickle_anywhere(store):
    save(store)
    store.save_state("m", {"x": torch.ones(2)}, {"position": {"step": 3}})
    formats = assert_only_json_and_safetensors(store.root / "m")
    assert formats["manifest.json"] == formats["train-state.json"] == "json"
    assert sorted(formats.values()).count("safetensors") == 2


def test_no_pickle_in_a_real_training_run(tmp_path, runner, invoke):
    """Every file a CLI training leaves (model and training state) is JSON or
    safetensors."""
    corpus = tmp_path / "c.txt"
    corpus.write_text("to be or not to be, that is the question. " * 30)
    tiny = ["--hidden", "8", "--embedding", "4", "--layers", "1", "--epochs", "1"]
    result = invoke(runner, "train", "charlm", corpus, "--name", "m", *tiny, "-q")
    assert result.exit_code == 0, result.output
    formats = assert_only_json_and_safetensors(Store().root / "m")
    assert {"manifest.json", "train-state.json"} <= set(formats)
    weights = [n for n, f in formats.items() if f == "safetensors"]
    assert sorted(n.split("-")[0] for n in weights) == ["model", "train"]


@pytest.mark.parametrize("where", ["a-file", "a-file/below"])
def test_a_store_that_cannot_be_written_is_one_error_line(
    runner, invoke, tmp_path, monkeypatch, where
):
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("SEQCLI_HOME", str(tmp_path / where))
    (tmp_path / "corpus.txt").write_text("some text to learn from.\n" * 20)
    result = invoke(
        runner, "train", "charlm", tmp_path / "corpus.txt", "--name", "m", "--epochs", 1
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1].startswith(
        f"Error: cannot write the model store {tmp_path / where} (Not a directory)"
    )
    listed = invoke(runner, "models", "list")  # the built-ins still show
    assert listed.exit_code == 0 and "conll-en" in listed.stdout


def test_export_into_a_folder_that_cannot_be_made_is_one_error_line(
    runner, invoke, tmp_path
):
    (tmp_path / "a-file").write_text("not a folder")
    result = invoke(runner, "export", "conll-en", "-o", tmp_path / "a-file" / "out")
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1].startswith("Error: cannot write into")


def test_has_agrees_with_names(store):
    """has() answers the server's per-request question without listing the store."""
    save(store, "user")
    builtin = store.builtin / "shipped"
    builtin.mkdir(parents=True)
    (builtin / "manifest.json").write_text("{}")
    (store.root / "empty").mkdir()  # a folder is not a model
    assert store.names() == ["shipped", "user"]
    for name in ["user", "shipped", "empty", "absent"]:
        assert store.has(name) == (name in store.names())
