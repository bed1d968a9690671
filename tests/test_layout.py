"""The package's map: data flows one way, so imports do too.

Shared modules (seqcli/*.py) sit below the kinds (seqcli/<kind>/); the registry,
the loader, the Python API and the command line (kinds, inference, api, cli) sit
above them. A kind may use another kind's network as a part (a tagger's context
char-LMs are char-LMs), never what lies above the kinds.
"""

from __future__ import annotations

import ast
from pathlib import Path

from seqcli import kinds
from seqcli.onnx import cache_key

PACKAGE = Path(__file__).resolve().parents[1] / "seqcli"
KINDS = [f"seqcli.{name}" for name in kinds.KINDS]
ABOVE = ["seqcli.kinds", "seqcli.inference", "seqcli.api", "seqcli.cli"]


def imports(path: Path) -> set[str]:
    """Every seqcli module a file imports, at its top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in found if m.startswith("seqcli")}


def under(module: str, packages: list[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_a_kind_imports_nothing_above_the_kinds():
    wrong = {
        f"{path.relative_to(PACKAGE)}: {m}"
        for kind in kinds.KINDS
        for path in (PACKAGE / kind).rglob("*.py")
        for m in imports(path)
        if under(m, ABOVE)
    }
    assert not wrong


def test_shared_modules_import_no_kind_and_nothing_above():
    top = {"kinds.py", "inference.py", "api.py", "__init__.py", "__main__.py"}
    shared = [p for p in PACKAGE.glob("*.py") if p.name not in top]
    assert len(shared) > 10
    wrong = {
        f"{path.name}: {m}"
        for path in shared
        for m in imports(path)
        if under(m, KINDS + ABOVE)
    }
    assert not wrong


def test_the_graph_cache_key_covers_every_module(tmp_path):
    """Changing a constant that shapes a graph's inputs (here the tagger's
    capitalisation classes, defined outside its network) makes a new export."""
    import shutil

    copy = tmp_path / "seqcli"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = {"weights": {"sha256": "0" * 64}}
    before = cache_key(manifest, copy)
    assert cache_key(manifest, copy) == before
    data = copy / "tagger" / "data.py"
    text = data.read_text(encoding="utf-8")
    assert "CAPS" in text
    data.write_text(text.replace("CAPS", "CAPS_", 1), encoding="utf-8")
    assert cache_key(manifest, copy) != before


def test_every_kind_in_the_registry_has_its_command_api_method_and_endpoint():
    """Everything above the kinds finds a kind through the registry: its command
    (seqcli/cli/COMMAND.py), the Python API's class with the method of that name,
    the server's /v1/COMMAND, `seqcli eval` (its recipe's evaluate) and a built-in."""
    from seqcli import api
    from seqcli.cli import cli
    from seqcli.serve.app import KINDS as ENDPOINTS
    from seqcli.store import BUILTIN

    for kind in kinds.KINDS.values():
        assert kind.command in cli.commands, kind.name
        assert callable(getattr(api.MODELS[kind.name], kind.command)), kind.name
        assert ENDPOINTS[kind.command] == kind.name
        assert callable(kind.module("recipe").evaluate)
        manifest = (BUILTIN / kind.builtin / "manifest.json").read_text()
        assert f'"kind": "{kind.name}"' in manifest
