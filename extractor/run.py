"""The batch runner: PDFs in, one contract JSON each out, resumable, with progress.

A broken PDF, a timeout or a garbage answer fails that document (or chunk), never the
batch; `.state.json` in the output folder records what is done, so a second run with
`--resume` starts where the first stopped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor import __version__
from extractor.config import Settings
from extractor.extract.llm import models, prompts
from extractor.extract.llm.client import LLMClient, resolve_endpoint
from extractor.extract.llm.server import EmbeddedServer
from extractor.extract.llm.usage import Ledger
from extractor.extract.strategies import Model, Outcome, Strategy, extract
from extractor.layouts import LayoutBook
from extractor.pipeline import Analysis, analyse_pdf
from extractor.read.pdf import OcrOptions, ReadError, read_pdf, sha256_file
from extractor.reconcile.stage import summary as reconcile_summary
from extractor.records import dumps_contract

TASKS = ("indicators", "line_items", "layout")
STATE_FILE = ".state.json"


@dataclass
class DocResult:
    file: str
    ok: bool
    output: str | None = None
    error: str | None = None
    pages: int = 0
    ocr_pages: int = 0
    line_items: int = 0
    indicators: int = 0
    pending: int = 0
    chunk_failures: int = 0
    seconds: float = 0.0
    skipped: bool = False


@dataclass
class RunSummary:
    results: list[DocResult] = field(default_factory=list)
    ledger: Ledger = field(default_factory=Ledger)
    model: dict[str, Any] | None = None

    @property
    def failed(self) -> list[DocResult]:
        return [r for r in self.results if not r.ok]


@contextlib.contextmanager
def open_model(settings: Settings, strategy: Strategy, ledger: Ledger,
               prompt_versions: dict[str, str] | None = None) -> Iterator[Model | None]:
    """The model side for strategies that need one: configured endpoint or the embedded
    server (started here, stopped on the way out, whatever happens)."""
    if strategy == "grid":
        yield None
        return
    chosen = {t: prompts.load(t, (prompt_versions or {}).get(t)) for t in TASKS}
    with contextlib.ExitStack() as stack:
        embedded_url = None
        spec = None
        if not settings.llm.base_url:
            spec = models.spec_for(settings.llm.model or models.DEFAULT_MODEL)
            path = models.ensure_verified(settings.cache_dir, spec)
            server = EmbeddedServer(path, settings.cache_dir / "logs" / "llama-server.log")
            embedded_url = stack.enter_context(server)
        endpoint = resolve_endpoint(settings.llm, embedded_url, spec.name if spec else "")
        client = LLMClient(endpoint, settings.llm, ledger, settings.cache_dir if settings.llm.cache else None,
                           max_tokens=settings.llm.max_tokens)
        stack.callback(client.close)
        yield Model(client, chosen)


def _settings_key(strategy: str, model: Model | None) -> str:
    raw = json.dumps({"strategy": strategy, "model": model.describe() if model else None,
                      "version": __version__}, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _load_state(out_dir: Path) -> dict[str, Any]:
    path = out_dir / STATE_FILE
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            return {}
    return {}


def _save_state(out_dir: Path, state: dict[str, Any]) -> None:
    tmp = out_dir / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(out_dir / STATE_FILE)


def _output(outcome: Outcome, analysis: Analysis, strategy: str, model: Model | None,
            ledger: Ledger, seconds: float) -> str:
    name = analysis.pdf.path.name
    used = ledger.documents.get(name)
    doc = outcome.doc.model_copy(deep=True)
    extras = doc.document.model_extra if doc.document.model_extra is not None else {}
    extras["extraction"] = {
        "tool": "budget-extractor",
        "version": __version__,
        "strategy": strategy,
        "model": model.describe() if model else None,
        "pages": len(analysis.pdf.pages),
        "ocr_pages": [p.number for p in analysis.pdf.pages if p.source == "ocr"],
        "seconds": round(seconds, 2),
        "usage": None if used is None else {
            "prompt_tokens": used.prompt_tokens, "completion_tokens": used.completion_tokens,
            "calls": used.calls, "reasks": used.reasks, "cache_hits": used.cache_hits,
            "ungrounded": used.ungrounded,
        },
    }
    data = doc.model_dump(mode="json")
    data["report"] = {
        "pending": [{"chunk": p.chunk_id, "pages": p.pages, "reasons": p.reasons} for p in outcome.pending],
        "failures": outcome.failures,
        "disagreements": outcome.disagreements,
        "mapped": outcome.mapped,
    }
    if outcome.reconciled is not None:
        data["reconciliation"] = reconcile_summary(outcome.reconciled, outcome.rereads)
    return dumps_contract(data)


def run_batch(files: list[Path], out_dir: Path, settings: Settings, strategy: Strategy, resume: bool = True,
              on_page: Callable[[str, int, int], None] | None = None,
              on_document: Callable[[DocResult, Ledger], None] | None = None,
              prompt_versions: dict[str, str] | None = None) -> RunSummary:
    out_dir.mkdir(parents=True, exist_ok=True)
    state = _load_state(out_dir) if resume else {}
    summary = RunSummary(ledger=Ledger(budget=settings.run.token_budget))
    ocr = OcrOptions(engine=settings.ocr.engine, dpi=settings.ocr.dpi)
    book = LayoutBook.load(settings.cache_dir)
    with open_model(settings, strategy, summary.ledger, prompt_versions) as model:
        summary.model = model.describe() if model else None
        if model is not None:
            model.layouts = book  # one book per run: what the model maps here is read freely later
        key = _settings_key(strategy, model)
        for path in files:
            start = time.monotonic()
            result = DocResult(file=path.name, ok=False)
            try:
                sha = sha256_file(path)
                done = state.get(sha)
                target = out_dir / f"{path.stem}.json"
                if resume and done and done.get("key") == key and done.get("ok") and target.is_file():
                    result = DocResult(**{**done["result"], "skipped": True})
                else:
                    pdf = read_pdf(path, ocr=ocr, on_page=(lambda n, p=path: on_page(p.name, n, 0)) if on_page else None)
                    analysis = analyse_pdf(pdf)
                    outcome = extract(analysis, strategy, model, book)
                    seconds = time.monotonic() - start
                    target.write_text(_output(outcome, analysis, strategy, model, summary.ledger, seconds),
                                      encoding="utf-8")
                    result = DocResult(
                        file=path.name, ok=True, output=str(target), pages=len(pdf.pages),
                        ocr_pages=sum(p.source == "ocr" for p in pdf.pages),
                        line_items=len(outcome.doc.line_items), indicators=len(outcome.doc.indicators),
                        pending=len(outcome.pending), chunk_failures=len(outcome.failures), seconds=seconds,
                    )
                    state[sha] = {"key": key, "ok": True, "result": result.__dict__}
            except ReadError as exc:
                result.error = str(exc)
            except Exception as exc:  # noqa: BLE001 - one document's bug must not stop the batch
                result.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
            result.seconds = result.seconds or time.monotonic() - start
            summary.results.append(result)
            _save_state(out_dir, state)
            if on_document is not None:
                on_document(result, summary.ledger)
    return summary
