"""bench/report.py: bench/README.md is what the results in bench/results/ render to.

bench/ is not a package (its scripts put the repository root on sys.path and import
`bench.common`), so the script is loaded from its path.
"""

import importlib.util
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def load_report():
    spec = importlib.util.spec_from_file_location("bench_report", BENCH / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_is_rendered_from_the_results():
    report = load_report()
    written = (BENCH / "README.md").read_text(encoding="utf-8")
    # if this fails: python bench/report.py
    assert report.render(BENCH / "results") == written


def test_made_up_results_render_as_tables(tmp_path):
    report = load_report()
    records = [
        {"bench": "data-parallel training", "processes": 1, "tokens_per_s": 4321},
        {"bench": "data-parallel training", "processes": 2, "tokens_per_s": 8765},
    ]
    (tmp_path / "distributed.json").write_text(json.dumps(records))
    (tmp_path / "made-up.jsonl").write_text(
        json.dumps({"bench": "made-up speed", "widgets_per_s": 12.75})
        + "\n\n"
        + json.dumps({"bench": "made-up speed", "widgets_per_s": 98.5})
        + "\n"
    )
    text = report.render(tmp_path)
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert any("| 1 |" in row and "4,321" in row for row in rows)
    assert any("| 2 |" in row and "8,765" in row for row in rows)
    # a file no section knows is shown too, under "Other results"
    assert "## Other results" in text
    assert any("12.75" in row for row in rows)
    assert any("98.5" in row for row in rows)
