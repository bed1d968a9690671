"""`seqcli serve`: every endpoint gives the Python API's records, failures come as
{"error": ...} with their status, requests are batched, the token is asked for, and a
real server stops a generation whose client went away and exits 0 on SIGTERM."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

import seqcli
from seqcli.serve.app import Settings, create_app

from .close import same
from .conftest import SERVED, start_server

with warnings.catch_warnings():  # Starlette 1.x would rather have httpx2: it works
    warnings.filterwarnings("ignore", "Using `httpx`", UserWarning)
    from starlette.testclient import TestClient

pytestmark = pytest.mark.usefixtures("one_thread")

BUILTINS = SERVED
SENTENCES = [
    "Angela Merkel met Emmanuel Macron in Paris.",
    "A man rides a horse on the beach.",
    "What a wonderful, moving film.",
]


@pytest.fixture(autouse=True)
def store(env_setup, builtin_graphs) -> Path:
    home = Path(os.environ["SEQCLI_HOME"])
    shutil.copytree(builtin_graphs, home / ".cache", copy_function=os.link)
    return home


@pytest.fixture
def serve():
    """serve(**settings) -> a TestClient of the application, started."""
    clients = []

    def start(**settings) -> TestClient:
        client = TestClient(create_app(Settings(device="cpu", **settings)))
        clients.append(client.__enter__())
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def test_health_and_the_models(serve):
    client = serve()
    assert client.get("/health").json()["status"] == "ok"
    rows = {row["name"]: row for row in client.get("/v1/models").json()["models"]}
    assert set(BUILTINS) <= set(rows)
    assert rows["conll-en"]["kind"] == "tagger"
    # trained with its dev data (--with-dev): no dev score, its dev run's instead
    assert rows["conll-en"]["metrics"] == {} and rows["conll-en"]["with_dev"]
    assert rows["conll-en"]["dev_run_metrics"]["f1"] > 0.9
    assert rows["sentiment-en"]["metrics"]["accuracy"] > 0.8
    assert "with_dev" not in rows["sentiment-en"]
    assert not rows["conll-en"]["loaded"]
    client.post("/v1/tag", json={"model": "conll-en", "text": "Ann met Bo."})
    rows = {row["name"]: row for row in client.get("/v1/models").json()["models"]}
    assert rows["conll-en"]["loaded"] and not rows["sentiment-en"]["loaded"]
    assert client.get("/health").json()["loaded"] == ["conll-en"]


def test_each_task_gives_the_records_of_the_api(serve):
    client = serve()
    asks = [
        ("tag", "conll-en", {"scheme": "bioes"}),
        ("translate", "multi30k-en-de", {"beam": 3, "n_best": 2}),
        ("classify", "sentiment-en", {"top_k": 2}),
    ]
    for task, name, options in asks:
        model = seqcli.load(name, device="cpu")
        body = {"model": name, "texts": SENTENCES, **options}
        found = client.post(f"/v1/{task}", json=body)
        assert found.status_code == 200, found.text
        same(found.json()["records"], getattr(model, task)(SENTENCES, **options))
        one = client.post(f"/v1/{task}", json={"model": name, "text": SENTENCES[0]})
        same(one.json()["records"], [getattr(model, task)(SENTENCES[0])])
    options = {"length": 60, "samples": 2, "seed": 3, "top_p": 0.9}
    found = client.post("/v1/generate", json={"model": "shakespeare", "text": "KING"})
    assert found.status_code == 200 and found.json()["records"][0]["prime"] == "KING"
    body = {"model": "shakespeare", "text": "KING", **options}
    found = client.post("/v1/generate", json=body).json()["records"]
    assert found == seqcli.load("shakespeare", device="cpu").generate("KING", **options)


def test_translate_gives_the_attention_when_asked(serve):
    client = serve()
    body = {"model": "multi30k-en-de", "texts": SENTENCES[1:], "attention": True}
    found = client.post("/v1/translate", json=body)
    assert found.status_code == 200, found.text
    records = found.json()["records"]
    model = seqcli.load("multi30k-en-de", device="cpu")
    same(records, model.translate(SENTENCES[1:], attention=True))
    for record in records:
        attention = record["attention"]
        rows, columns = attention["target_tokens"], attention["source_tokens"]
        assert len(attention["weights"]) == len(rows) > 0
        for row in attention["weights"]:
            assert len(row) == len(columns)
            assert sum(row) == pytest.approx(1.0, abs=len(row) * 5e-5)
    body["attention"] = "yes"
    refused = client.post("/v1/translate", json=body)
    assert refused.status_code == 422 and "attention" in refused.json()["error"]


def events(text: str) -> list[tuple[str | None, dict]]:
    """(event name, data) of each server-sent event."""
    found = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        found.append((fields.get("event"), json.loads(fields["data"])))
    return found


def test_generate_streams_pieces_then_the_record(serve):
    client = serve()
    body = {"model": "shakespeare", "text": "ROMEO:", "length": 300, "seed": 5}
    with client.stream("POST", "/v1/generate", json={**body, "stream": True}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        found = events(r.read().decode())
    pieces = [data["text"] for name, data in found if name is None]
    assert found[-1][0] == "done" and len(pieces) >= 1
    record = found[-1][1]["records"][0]
    assert "".join(pieces) == record["text"]
    del body["model"], body["text"]
    lm = seqcli.load("shakespeare", device="cpu")
    assert [record] == lm.generate("ROMEO:", **body)


def test_generate_ends_a_sample_at_the_stop_text_as_the_api_does(serve):
    client = serve()
    body = {"model": "shakespeare", "text": "ROMEO:", "length": 400, "seed": 3}
    found = client.post("/v1/generate", json={**body, "stop": "\n\n"}).json()
    (record,) = found["records"]
    continuation = record["text"][len("ROMEO:") :]
    assert continuation.endswith("\n\n") and continuation.count("\n\n") == 1
    assert len(continuation) < 400
    lm = seqcli.load("shakespeare", device="cpu")
    assert [record] == lm.generate("ROMEO:", length=400, seed=3, stop="\n\n")


def test_only_the_models_named_are_served(serve):
    client = serve(models=["conll-en"])
    names = [row["name"] for row in client.get("/v1/models").json()["models"]]
    assert names == ["conll-en"]
    found = client.post("/v1/classify", json={"model": "sentiment-en", "text": "Hi"})
    assert found.status_code == 404 and "sentiment-en" in found.json()["error"]


TAG = {"model": "conll-en", "text": "Ann met Bo."}
FAILURES = {
    "malformed JSON": (b'{"model": ', 400, "malformed JSON"),
    "empty body": (b"", 400, "empty"),
    "not an object": (b'["conll-en"]', 400, "JSON object"),
    "wrong type": ({"model": "conll-en", "text": 3}, 422, '"text" must be a string'),
    "unknown option": ({**TAG, "beam": 2}, 422, "unknown field 'beam'"),
    "no text": ({"model": "conll-en"}, 422, 'give "text"'),
    "bad value": ({**TAG, "scheme": "XYZ"}, 422, "unknown scheme 'XYZ'"),
    "unknown model": ({**TAG, "model": "nope"}, 404, "no model named 'nope'"),
    "name outside the store": ({**TAG, "model": "../x"}, 422, "invalid model name"),
    "wrong kind": ({**TAG, "model": "sentiment-en"}, 422, "not a tagger"),
    "oversized body": (b" " * (1 << 20) + b"{}", 413, "larger than"),
}


@pytest.mark.parametrize("case", FAILURES)
def test_a_bad_request_gets_a_4xx_naming_the_problem(serve, case):
    body, status, message = FAILURES[case]
    client = serve()
    if isinstance(body, dict):
        found = client.post("/v1/tag", json=body)
    else:
        found = client.post("/v1/tag", content=body)
    assert found.status_code == status, found.text
    assert message in found.json()["error"]
    assert client.post("/v1/tag", json=TAG).status_code == 200  # still serving


def test_routes_and_methods_are_refused_as_json(serve):
    client = serve()
    assert client.get("/v1/nothing").json() == {"error": "Not Found"}
    found = client.get("/v1/tag")
    assert found.status_code == 405 and "error" in found.json()


def test_a_generate_option_that_does_not_apply_is_refused(serve):
    client = serve()
    body = {"model": "shakespeare", "text": "A", "beam": 2, "top_p": 0.5}
    found = client.post("/v1/generate", json=body)
    assert found.status_code == 422 and "do not apply to beam" in found.json()["error"]
    found = client.post("/v1/generate", json={**body, "length": 10**9})
    assert found.status_code == 422 and "at most" in found.json()["error"]


def test_a_bug_answers_500_without_a_traceback(serve):
    client = serve()
    assert client.post("/v1/tag", json=TAG).status_code == 200
    batcher = client.app.state.server.batchers["conll-en"]
    run = batcher.run

    def broken(texts, **options):
        raise RuntimeError("a bug")

    batcher.run = broken
    found = client.post("/v1/tag", json=TAG)
    assert found.status_code == 500
    assert "Traceback" not in found.text and "a bug" not in found.text
    batcher.run = run
    assert client.post("/v1/tag", json=TAG).status_code == 200


def test_the_token_is_asked_for(serve):
    client = serve(token="s3cret")
    assert client.get("/health").status_code == 200
    missing = client.post("/v1/tag", json=TAG)
    assert missing.status_code == 401 and "needs a token" in missing.json()["error"]
    wrong = client.post("/v1/tag", json=TAG, headers={"Authorization": "Bearer no"})
    assert wrong.status_code == 401 and "wrong token" in wrong.json()["error"]
    right = {"Authorization": "Bearer s3cret"}
    assert client.post("/v1/tag", json=TAG, headers=right).status_code == 200


def slowed(client: TestClient, name: str, seconds: float) -> list[int]:
    """The texts of each call of the model's batch function, which now takes
    `seconds` longer (the model is loaded by a first request)."""
    batcher = client.app.state.server.batchers[name]
    run, calls = batcher.run, []

    def slow(texts, **options):
        calls.append(len(texts))
        time.sleep(seconds)
        return run(texts, **options)

    batcher.run = slow
    return calls


def post_together(client: TestClient, bodies: list[dict], task: str = "tag"):
    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(lambda b: client.post(f"/v1/{task}", json=b), bodies))


def test_concurrent_requests_are_batched(serve):
    client = serve(wait_ms=50)
    assert client.post("/v1/tag", json=TAG).status_code == 200
    calls = slowed(client, "conll-en", 0.3)
    texts = [f"{name} visited Berlin ." for name in ["Ann", "Bo", "Cy", "Di", "Ed"]]
    found = post_together(client, [{"model": "conll-en", "text": t} for t in texts])
    assert sum(calls) == len(texts) and max(calls) > 1, calls
    # /v1/models tells how well batching goes: the warm-up's call, then these
    rows = {row["name"]: row for row in client.get("/v1/models").json()["models"]}
    assert rows["conll-en"]["batches"] == {"calls": 1 + len(calls), "texts": 6}
    assert "batches" not in rows["sentiment-en"]  # never asked
    tagger = seqcli.load("conll-en", device="cpu")
    for response, text in zip(found, texts, strict=True):
        assert response.json()["records"] == [tagger.tag(text)]


def test_a_lone_request_does_not_wait_for_company():
    """The wait window (here 30 s) is spent only while batches hold several
    requests; one request alone runs at once, then a burst is gathered."""
    import asyncio

    from seqcli.serve.batching import Batcher

    calls = []

    def run(texts):
        calls.append(list(texts))
        time.sleep(0.2)  # the burst below arrives while this runs
        return [{"text": t} for t in texts]

    async def main():
        batcher = Batcher(run, max_batch=8, wait=30.0, max_queue=64)
        alone = await asyncio.wait_for(batcher.submit(["a"], {}), 10)
        first = batcher.submit(["b"], {})
        await asyncio.sleep(0.05)  # b's call has begun
        burst = [batcher.submit([t], {}) for t in "cde"]
        found = await asyncio.wait_for(asyncio.gather(first, *burst), 10)
        return alone, found

    alone, found = asyncio.run(main())
    assert alone == [{"text": "a"}]
    assert [r[0]["text"] for r in found] == list("bcde")
    assert calls == [["a"], ["b"], ["c", "d", "e"]]


def test_a_batch_stays_on_the_backend_of_one_row():
    from seqcli.inference import GRAPH_ROWS
    from seqcli.serve.app import batch_rows

    # more rows than this run on PyTorch, whose records differ in the last digits
    translator = seqcli.load("multi30k-en-de", device="cpu")
    assert batch_rows(translator, 200) == GRAPH_ROWS["translator"]
    assert batch_rows(translator, 32) == 32
    assert batch_rows(seqcli.load("conll-en", device="cpu"), 32) == 32
    assert batch_rows(seqcli.load("sentiment-en", device="cpu"), 32) == 32


def test_a_full_queue_answers_503(serve):
    client = serve(max_queue=1, wait_ms=0)
    assert client.post("/v1/tag", json=TAG).status_code == 200
    slowed(client, "conll-en", 0.5)
    found = post_together(client, [TAG] * 4)
    statuses = sorted(r.status_code for r in found)
    assert 200 in statuses and 503 in statuses, statuses
    busy = next(r for r in found if r.status_code == 503)
    assert "too many requests" in busy.json()["error"]


def test_a_request_past_the_timeout_answers_504(serve):
    # a second to answer one line: room for a busy machine (one line takes ms)
    client = serve(timeout=1.0)
    assert client.post("/v1/tag", json=TAG).status_code == 200
    slowed(client, "conll-en", 2.5)
    found = client.post("/v1/tag", json=TAG)
    assert found.status_code == 504 and "within 1 s" in found.json()["error"]


class Marks(HTMLParser):
    """The text of each <mark class="entity">, its label <span> left out."""

    def __init__(self):
        super().__init__()
        self.marks: list[str] = []
        self.depth = 0  # 1 in a mark, 2 in its label
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "mark" and ("class", "entity") in attrs:
            self.marks.append("")
            self.depth = 1
        elif tag == "span" and self.depth == 1:
            self.depth = 2
        if tag not in ("meta",):
            self.tags.append(tag)

    def handle_endtag(self, tag):
        assert self.tags.pop() == tag  # well nested
        if tag == "span" and self.depth == 2:
            self.depth = 1
        elif tag == "mark":
            self.depth = 0

    def handle_data(self, data):
        if self.depth == 1:
            self.marks[-1] += data


def test_tag_format_html_marks_each_entity(runner, invoke, tmp_path):
    lines = [*SENTENCES, "", "Tom & Jerry <3 New York and Microsoft ."]
    source = tmp_path / "in.txt"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    page = invoke(runner, "tag", "-q", "--format", "html", source).output
    records = [
        json.loads(line)
        for line in invoke(
            runner, "tag", "-q", "--format", "jsonl", source
        ).output.splitlines()
    ]
    parser = Marks()
    parser.feed(page)
    parser.close()
    entities = [e["text"] for r in records for e in r["entities"]]
    labels = {e["label"] for r in records for e in r["entities"]}
    assert len(entities) >= 4
    # the text of each mark, then the legend's one mark per label
    assert parser.marks[: len(entities)] == entities
    assert sorted(parser.marks[len(entities) :]) == sorted(labels)
    assert page.startswith("<!DOCTYPE html>") and parser.tags == []
    assert page.count("<p>") == len(lines)


def test_the_page_is_self_contained(serve):
    client = serve()
    found = client.get("/")
    assert found.status_code == 200
    assert found.headers["content-type"].startswith("text/html")
    page = found.text
    assert "http://" not in page and "https://" not in page and "@import" not in page
    assert "/*COLOURS*/" not in page and "#aa9cfc" in page
    assert "/*ATTENTION" not in page and "table.attention" in page
    HTMLParser().feed(page)


def test_other_commands_do_not_import_the_server():
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print(sorted({'starlette', 'uvicorn'} & "
        "{m.split('.')[0] for m in sys.modules}), file=sys.stderr))\n"
        "sys.argv = ['seqcli', 'tag', '-q']\n"
        "from seqcli.cli import main\n"
        "main()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        input="Ann met Bo in Oslo.\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip().splitlines()[-1] == "[]"


def test_a_host_beyond_loopback_needs_a_token(runner):
    from seqcli.cli import cli

    found = runner.invoke(cli, ["serve", "--host", "0.0.0.0"], env={"SEQCLI_TOKEN": ""})
    assert found.exit_code == 2 and "--token" in found.output
    found = runner.invoke(cli, ["serve", "-m", "nope"])
    assert found.exit_code == 1 and "no model named 'nope'" in found.output


@pytest.fixture
def live():
    """A real `seqcli serve` process: (base URL, process)."""
    url, process = start_server()
    yield url, process
    if process.poll() is None:
        process.kill()
        process.wait()


def generating(url: str) -> int:
    return httpx.get(f"{url}/health").json()["generating"]


def wait_for(test, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while not test():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.slow
def test_a_client_that_goes_away_stops_its_generation(live):
    url, _ = live
    body = {"model": "shakespeare", "length": 100_000, "stream": True}
    with httpx.stream("POST", f"{url}/v1/generate", json=body, timeout=30) as r:
        lines = r.iter_lines()  # one iterator: closing it closes the stream
        assert next(lines).startswith("data: ")
        assert generating(url) == 1
    # 100,000 characters take far longer than this
    assert wait_for(lambda: generating(url) == 0, 10)


@pytest.mark.slow
def test_sigterm_finishes_the_requests_in_flight_and_exits_0(live):
    url, process = live
    found = {}

    def ask():
        body = {"model": "shakespeare", "text": "KING", "length": 1500}
        found["response"] = httpx.post(f"{url}/v1/generate", json=body, timeout=60)

    asking = threading.Thread(target=ask)
    asking.start()
    assert wait_for(lambda: generating(url) == 1)
    process.send_signal(signal.SIGTERM)
    asking.join(60)
    assert found["response"].status_code == 200
    assert len(found["response"].json()["records"][0]["text"]) == 1500
    assert process.wait(30) == 0, process.stderr.read().decode()
