"""The review app in a real browser (Playwright driving Debian's chromium, headless): a
reviewer opens the queue, fixes a blank cell with the keyboard, sees the identities turn
to holding, saves, and exports a gold file that scores 1.0. And what it refuses: foreign
origins, requests without its header, unknown items, stale versions, malformed bodies."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import test_queue as tq
import uvicorn
from pdfmaker import draw_table, new_pdf, save, write_text
from typer.testing import CliRunner

from extractor.cli import app as cli
from extractor.evaluation.score import score_document
from extractor.queue import Queue
from extractor.review.app import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
runner = CliRunner()
BLANK = "支出总表 2010101 行政运行 [基本支出]"


@contextlib.contextmanager
def _serve(out: Path, cache: Path | None = None):  # type: ignore[no-untyped-def]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(out / "queue.sqlite", out, "tester", cache), host="127.0.0.1", port=port,
                            log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture()
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    broken = [row[:] for row in tq.ROWS]
    broken[4][3] = ""
    (tmp_path / "in").mkdir()
    pdf = tq._pdf(tmp_path / "in", broken, "d.pdf")
    assert runner.invoke(cli, ["extract", str(pdf), "--out", str(tmp_path / "out")]).exit_code == 0
    with _serve(tmp_path / "out") as base:
        yield base, tmp_path


def _browser(p):  # type: ignore[no-untyped-def]
    return p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"])


def test_refuses_foreign_origins_unknown_items_stale_versions_and_bad_bodies(server) -> None:  # type: ignore[no-untyped-def]
    base, tmp_path = server
    item = next(i for i in Queue(tmp_path / "out" / "queue.sqlite").list() if i.kind == "conflict")
    ok = {"X-Review": "1", "Origin": base}
    with httpx.Client(base_url=base) as c:
        body = {"action": "reject", "version": item.version}
        assert c.post(f"/item/{item.id}/decide", json=body, headers={"Origin": "http://evil.example",
                                                                    "X-Review": "1"}).status_code == 403
        assert c.post(f"/item/{item.id}/decide", json=body).status_code == 403  # no X-Review: a form elsewhere
        assert c.post("/item/999/decide", json=body, headers=ok).status_code == 404
        assert c.post(f"/item/{item.id}/decide", content=b"{not json", headers=ok).status_code == 422
        bad = c.post(f"/item/{item.id}/decide", json={"action": "set", "version": item.version,
                                                      "values": {BLANK: "12x"}}, headers=ok)
        assert bad.status_code == 422 and "not an amount" in bad.json()["error"]
        assert c.post(f"/item/{item.id}/decide", json=body, headers=ok).status_code == 200
        stale = c.post(f"/item/{item.id}/decide", json=body, headers=ok)  # the version it saw is gone
        assert stale.status_code == 409 and "someone else" in stale.json()["error"]
        assert c.get("/item/..%2F..%2Fetc%2Fpasswd/page.png").status_code in (404, 422)
        assert c.get("/export/999").status_code == 404
    assert len(Queue(tmp_path / "out" / "queue.sqlite").decisions(item.id)) == 1  # refused requests changed nothing


def test_review_command_listens_on_loopback_by_default() -> None:
    import inspect

    from extractor.cli import review

    assert inspect.signature(review).parameters["host"].default == "127.0.0.1"


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (.ci/run installs it)")
def test_a_reviewer_fixes_a_value_with_the_keyboard_and_exports_a_gold_file(server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    base, tmp_path = server
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        start = time.monotonic()
        page.goto(base)  # the queue opens on its riskiest item
        assert page.locator("h1").inner_text().startswith("conflict")
        assert page.locator("#identities td.fails").count() > 0
        page.keyboard.press("?")
        assert page.locator("#help").is_visible()
        shots = os.environ.get("REVIEW_SCREENSHOTS")  # a folder: the page and the keys, for people to look at
        if shots:
            page.screenshot(path=str(Path(shots) / "review-keys.png"))
        page.keyboard.press("Escape")
        page.keyboard.press("e")  # edit: the first cell; Tab to the blank one
        for _ in range(10):
            if page.evaluate("document.activeElement.dataset.label") == BLANK:
                break
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.dataset.label") == BLANK
        page.keyboard.type("1157.33")
        page.wait_for_function("document.querySelectorAll('#identities td.fails').length === 0")
        assert page.locator("#identities td.holds").count() > 0  # every identity holds with the value typed
        page.screenshot(path=str(Path(shots or tmp_path) / "review-page.png"))
        item_id = page.evaluate("document.body.dataset.item")
        page.keyboard.press("Enter")  # save
        page.wait_for_load_state()
        seconds = time.monotonic() - start
        gold = page.request.get(f"{base}/export/{item_id}").json()
        browser.close()
    print(f"one item reviewed in {seconds:.1f} s (browser time, keys typed at machine speed)")
    truth_pdf = tq._pdf(tmp_path, tq.ROWS, "truth.pdf")
    assert runner.invoke(cli, ["extract", str(truth_pdf), "--out", str(tmp_path / "t")]).exit_code == 0
    truth = json.loads((tmp_path / "t" / "truth.json").read_text(encoding="utf-8"))
    assert score_document(truth, gold).overall.f1 == 1.0
    (decision,) = Queue(tmp_path / "out" / "queue.sqlite").decisions(int(item_id))
    assert decision["reviewer"] == "tester" and decision["action"] == "set"


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (.ci/run installs it)")
def test_a_pending_table_mapped_by_hand_is_read_at_once_and_its_layout_stored(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from playwright.sync_api import sync_playwright

    from extractor.layouts import LayoutBook

    rows = [["功能科目", "本年数", "人头经费", "专项经费"], ["合计", "1,557.33", "1,196.33", "361.00"],
            ["2040601 行政运行", "1,196.33", "1,196.33", ""], ["2040602 一般行政管理事务", "361.00", "", "361.00"]]
    doc = new_pdf()
    page = doc.new_page(width=842, height=595)
    write_text(page, 300, 50, "附件三 科室经费", size=14)
    write_text(page, 700, 80, "单位：万元")
    draw_table(page, rows, [220, 90, 90, 90], top=90)
    (tmp_path / "in").mkdir()
    pdf = save(doc, tmp_path / "in" / "u.pdf")
    cache = tmp_path / "cache"
    monkeypatch.setenv("EXTRACTOR_CACHE_DIR", str(cache))
    assert runner.invoke(cli, ["extract", str(pdf), "--out", str(tmp_path / "out")]).exit_code == 0
    pending = next(i for i in Queue(tmp_path / "out" / "queue.sqlite").list() if i.kind == "pending")
    with _serve(tmp_path / "out", cache) as base, sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{base}/item/{pending.id}")
        page.select_option("#kind", "支出总表")
        for col, role in enumerate(["label", "amount", "amount", "amount"]):
            page.select_option(f"select.role[data-col='{col}']", role)
        page.locator("body").press("m")
        page.wait_for_function("document.getElementById('mapped').textContent.startsWith('read')")
        assert page.locator("#mapped").inner_text().startswith("read 3 rows")
        browser.close()
    (signature,) = LayoutBook.load(cache).learned  # stored: the next table with this header needs nobody
    again = runner.invoke(cli, ["extract", str(pdf), "--out", str(tmp_path / "again")])
    assert again.exit_code == 0
    data = json.loads((tmp_path / "again" / "u.json").read_text(encoding="utf-8"))
    assert not data["report"]["pending"] and len(data["line_items"]) == 3
    assert {i["provenance"].get("layout") for i in data["line_items"]} == {signature}
    assert LayoutBook.load(cache).learned[signature].source == "person"


def test_the_server_killed_in_the_middle_of_a_batch_of_decisions_loses_and_doubles_none(server) -> None:  # type: ignore[no-untyped-def]
    import signal
    import subprocess
    import sys

    from extractor.queue import items_of

    _, tmp_path = server
    out = tmp_path / "out"
    q = Queue(out / "queue.sqlite")
    for n in range(2000):
        q.add(items_of(f"x{n}.json", {"document": {}, "report": {"pending": [{"chunk": "c", "pages": [1],
                                                                               "reasons": ["r"]}]}}))
    todo = q.list()
    q.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "extractor", "review", str(out), "--port", str(port),
                             "--reviewer", "bot"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    confirmed: list[int] = []
    try:
        with httpx.Client(base_url=base, timeout=5) as c:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    c.get("/")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            headers = {"X-Review": "1", "Origin": base}
            for item in todo:
                if len(confirmed) == 150:
                    proc.send_signal(signal.SIGKILL)  # mid-batch: requests after this one fail
                try:
                    r = c.post(f"/item/{item.id}/decide", json={"action": "reject", "version": item.version},
                               headers=headers)
                except httpx.TransportError:
                    break
                assert r.status_code == 200, r.text
                confirmed.append(item.id)
    finally:
        proc.kill()
        proc.wait()
    q = Queue(out / "queue.sqlite")
    decided = {i.id for i in q.list(status=None) if i.status == "rejected"}
    decisions = q.decisions()
    assert len(confirmed) >= 150 and set(confirmed) <= decided  # none the reviewer was told of is lost
    assert len(decided) < len(todo)  # the kill came mid-batch
    assert sorted(d["item"] for d in decisions) == sorted(decided)  # one record per decided item: none doubled
