"""The built-in models: every command works with an empty store, right after install."""

import json
import shutil

import pytest

from seqcli import store as store_module

DEFAULTS = {
    "shakespeare": "charlm",
    "conll-en": "tagger",
    "multi30k-en-de": "translator",
    "sentiment-en": "classifier",
    "wnut17-en": "tagger",
}


pytestmark = pytest.mark.usefixtures("one_thread")


def test_the_defaults_ship_in_the_package_and_are_small():
    sizes = {}
    for name in DEFAULTS:
        folder = store_module.BUILTIN / name
        assert (folder / "manifest.json").exists(), name
        sizes[name] = sum(f.stat().st_size for f in folder.iterdir())
    assert sum(sizes.values()) <= 40 * 2**20, sizes


def test_generate_writes_the_asked_number_of_characters(runner, invoke):
    result = invoke(runner, "generate", "-n", 120, "--seed", 1, "--prime", "ROMEO:")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ROMEO:") and len(result.stdout) == 6 + 120 + 1


@pytest.mark.parametrize(
    "text, entities",
    [
        (
            "Angela Merkel met Emmanuel Macron in Paris on Tuesday.",
            {("Angela Merkel", "PER"), ("Emmanuel Macron", "PER"), ("Paris", "LOC")},
        ),
        (
            "John Smith flew from London to Berlin.",
            {("John Smith", "PER"), ("London", "LOC"), ("Berlin", "LOC")},
        ),
    ],
)
def test_the_tagger_finds_people_and_places(runner, text, entities, invoke):
    result = invoke(runner, "tag", "--format", "jsonl", input=text + "\n")
    assert result.exit_code == 0, result.output
    found = {(e["text"], e["label"]) for e in json.loads(result.stdout)["entities"]}
    assert entities <= found


WNUT_TYPES = {"person", "location", "group", "corporation", "product", "creative-work"}


@pytest.mark.parametrize("small", [True, False])
def test_the_social_media_tagger_finds_people_and_places(runner, invoke, small):
    """Through its exported graph, one line and many (the same tags for each)."""
    text = "@jenny_lee just watched Taylor Swift live in New York tonight !!\n"
    lines = 1 if small else 120
    result = invoke(
        runner, "tag", "-m", "wnut17-en", "--format", "jsonl", input=text * lines
    )
    assert result.exit_code == 0, result.output
    assert "onnxruntime" in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == lines and all(r == records[0] for r in records)
    found = {(e["text"], e["label"]) for e in records[0]["entities"]}
    assert {("Taylor Swift", "person"), ("New York", "location")} <= found
    manifest = json.loads(
        invoke(runner, "models", "show", "--full", "wnut17-en").stdout
    )
    assert {t[2:] for t in manifest["vocabs"]["tags"]["tokens"] if t != "O"} == (
        WNUT_TYPES
    )
    assert list(manifest["context"]) == ["forward", "backward"]


@pytest.mark.parametrize(
    "text, label",
    [
        ("What a wonderful, moving film. I loved every minute of it.", "pos"),
        ("Two hours of my life I will never get back. Dull and badly acted.", "neg"),
    ],
)
def test_the_classifier_tells_praise_from_scorn(runner, invoke, text, label):
    result = invoke(runner, "classify", input=text + "\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == label + "\n"


def test_the_translator_knows_the_nouns(runner, invoke):
    result = invoke(
        runner, "translate", input="A man is riding a horse on the beach.\n"
    )
    assert result.exit_code == 0, result.output
    assert "Mann" in result.stdout and "Pferd" in result.stdout


def test_models_list_marks_the_defaults_and_rm_refuses_them(runner, invoke):
    rows = [
        json.loads(line)
        for line in invoke(runner, "models", "list", "--json").stdout.splitlines()
    ]
    assert {r["name"]: r["kind"] for r in rows if r["builtin"]} == DEFAULTS
    result = invoke(runner, "models", "rm", "shakespeare")
    assert result.exit_code == 1 and "built in" in result.stderr
    assert (store_module.BUILTIN / "shakespeare" / "manifest.json").exists()


def test_a_user_model_cannot_take_a_default_name(runner, tmp_path, invoke):
    corpus = tmp_path / "c.txt"
    corpus.write_text("abc " * 100)
    result = invoke(runner, "train", "charlm", corpus, "--name", "shakespeare")
    assert result.exit_code == 1 and "built-in" in result.stderr


def test_a_corrupted_copy_of_a_default_is_refused(
    runner, tmp_path, monkeypatch, invoke
):
    copy = tmp_path / "defaults"
    shutil.copytree(store_module.BUILTIN / "shakespeare", copy / "shakespeare")
    (weights,) = (copy / "shakespeare").glob("*.safetensors")
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    monkeypatch.setattr(store_module, "BUILTIN", copy)
    result = invoke(runner, "generate", "-n", 5)
    assert result.exit_code == 1 and "damaged" in result.stderr


@pytest.mark.parametrize(
    "name", ["shakespeare", "conll-en", "wnut17-en", "multi30k-en-de"]
)
def test_a_builtin_trained_with_dev_shows_its_dev_runs_figures(runner, invoke, name):
    """Released with --with-dev: no dev score of its own, its dev run's instead."""
    shown = json.loads(invoke(runner, "models", "show", name).stdout)
    assert "trained on its dev data too" in shown["metrics"]
    dev_run = shown["training"]["with_dev"]  # named as in bench/results
    assert dev_run["model"] and dev_run["epochs"] > 0 and dev_run["steps"] > 0
    assert shown["dev_run_metrics"] and shown["seen_dev_metrics"]
    assert "(trained on too)" in shown["data"]["dev"]
