"""The web page of `seqcli serve` in a real browser: Debian's chromium, headless,
driven by Selenium through chromium-driver (`.ci/run` installs both). The test types
into the page and checks what it draws for each kind, then writes the screenshot
that the README shows (docs/serve-page.png).

Skipped, with the reason, where selenium, chromium or chromedriver is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from .conftest import SERVED, start_server

SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "serve-page.png"

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]


def browser_parts() -> tuple[str, str]:
    """(chromium, chromedriver) paths, or the test is skipped saying what is
    missing."""
    pytest.importorskip("selenium", reason="selenium is not installed (dev extra)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip(
            "chromium and chromium-driver are not installed "
            "(apt-get install chromium chromium-driver)"
        )
    return chromium, driver


@pytest.fixture
def browser():
    chromium, driver = browser_parts()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where chromium's sandbox cannot start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1100,900",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(arg)
    # the driver named, so that Selenium Manager never goes to the network for one
    browser = webdriver.Chrome(service=Service(driver), options=options)
    browser.set_script_timeout(30)
    yield browser
    browser.quit()


@pytest.fixture
def server(builtin_graphs):
    """A real `seqcli serve` of the SERVED built-ins on a free port: its URL."""
    home = Path(os.environ["SEQCLI_HOME"])
    shutil.copytree(builtin_graphs, home / ".cache", copy_function=os.link)
    url, process = start_server(*[arg for name in SERVED for arg in ("-m", name)])
    yield url
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def until(browser, test, seconds: float = 30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, seconds, poll_frequency=0.05).until(lambda _: test())


def ask(browser, model: str, text: str, **numbers) -> None:
    """Picks the model, types the text (and numbers into their fields), runs."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.ID, "model")).select_by_value(model)
    for field, value in numbers.items():
        box = browser.find_element(By.ID, field)
        box.clear()
        box.send_keys(str(value))
    box = browser.find_element(By.ID, "text")
    box.clear()
    box.send_keys(text)
    browser.execute_script("document.getElementById('output').replaceChildren()")
    browser.find_element(By.ID, "run").click()


def test_the_page_draws_what_each_model_gives(browser, server):
    from selenium.webdriver.common.by import By

    def found(selector: str) -> list:
        return browser.find_elements(By.CSS_SELECTOR, selector)

    browser.get(server)
    until(browser, lambda: len(found("#model option")) == len(SERVED))
    groups = [g.get_attribute("label") for g in found("#model optgroup")]
    assert groups == ["charlm", "classifier", "tagger", "translator"]

    # entities: a mark per entity, its label inside, the legend above
    text = "Angela Merkel met Emmanuel Macron in Paris on Tuesday."
    ask(browser, "conll-en", text)
    until(browser, lambda: found("#output mark.entity"))
    expected = httpx.post(
        f"{server}/v1/tag", json={"model": "conll-en", "text": text}
    ).json()["records"][0]["entities"]
    marks = found("#output mark.entity")
    assert [m.find_element(By.CSS_SELECTOR, ".label").text for m in marks] == [
        e["label"] for e in expected
    ]
    for mark, entity in zip(marks, expected, strict=True):
        assert mark.text.startswith(entity["text"])  # then the label
    assert {m.text for m in found("#legend mark.entity")} == {
        e["label"].upper() for e in expected
    }
    assert found("#output p")[0].text.replace("\n", " ").startswith("Angela Merkel")

    # a class bar per label, the bars of a text summing to one
    ask(browser, "sentiment-en", "What a wonderful, moving film.\nA dull mess.")
    until(browser, lambda: len(found("#output .bar")) == 4)
    for text_box in found("#output > div"):
        labels = [b.text for b in text_box.find_elements(By.CSS_SELECTOR, ".bar")]
        scores = [float(label.split()[-1]) for label in labels]
        assert sum(scores) == pytest.approx(1.0, abs=2e-3)  # 3 decimals each
        widths = browser.execute_script(
            "return [...arguments[0].querySelectorAll('.bar > div')]"
            ".map((d) => parseFloat(d.style.width))",
            text_box,
        )
        assert sum(widths) == pytest.approx(100.0, abs=1e-6)

    # generated text that grows as the events arrive
    ask(browser, "shakespeare", "ROMEO:", length=4000, seed=1)
    lengths = []

    def length() -> int:
        return browser.execute_script(
            "const g = document.querySelector('#output .generated');"
            "return g ? g.textContent.length : 0"
        )

    def done() -> bool:
        lengths.append(length())
        return "hidden" in browser.find_element(By.ID, "stop").get_attribute("class")

    until(browser, done, 120)
    # the last piece may have come between reading the length and the button
    lengths.append(length())
    assert lengths[-1] == len("ROMEO:") + 4000
    grown = sorted({n for n in lengths if 0 < n < lengths[-1]})
    assert len(grown) >= 2, lengths  # seen at least twice part-way
    assert lengths == sorted(lengths)  # never shrinks

    # translations, and the attention heatmap: a row per target token
    source = "A man is riding a horse on the beach."
    ask(browser, "multi30k-en-de", source, beam=5, n_best=2)
    until(browser, lambda: found("#output table.attention"))
    body = {"model": "multi30k-en-de", "text": source, "beam": 5, "n_best": 2}
    record = httpx.post(
        f"{server}/v1/translate", json={**body, "attention": True}
    ).json()["records"][0]
    shown = [p.text for p in found("#output p.translation")]
    assert [re.sub(r"^-?\d+\.\d+\s*", "", t) for t in shown] == [
        t["text"] for t in record["translations"]
    ]
    attention = record["attention"]
    rows = found("#output table.attention tbody tr")
    assert [r.find_element(By.TAG_NAME, "th").text for r in rows] == attention[
        "target_tokens"
    ]
    for row in rows:
        assert len(row.find_elements(By.TAG_NAME, "td")) == len(
            attention["source_tokens"]
        )
    head = found("#output table.attention thead th")[1:]
    assert [h.text for h in head] == attention["source_tokens"]
    SCREENSHOT.parent.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT))
