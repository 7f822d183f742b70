"""The batch runner: PDFs in, one contract JSON each out, resumable, with progress.

A broken PDF, a timeout or a garbage answer fails that document (or chunk), never the
batch; `.state.json` in the output folder records what is done, so a second run with
`--resume` starts where the first stopped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from extractor import __version__
from extractor.config import Settings
from extractor.errors import ExtractorError
from extractor.extract.llm import models, prompts
from extractor.extract.llm.client import Endpoint, LLMClient, resolve_endpoint
from extractor.extract.llm.prompts import Prompt
from extractor.extract.llm.server import EmbeddedServer
from extractor.extract.llm.tasks import TASKS
from extractor.extract.llm.usage import Ledger, Usage
from extractor.extract.strategies import Model, Strategy
from extractor.files import stale_writes, write_atomic
from extractor.layouts import LayoutBook
from extractor.pipeline import Context, process
from extractor.read.pdf import OcrOptions, ReadError, sha256_file
from extractor.records import dumps_contract

STATE_FILE = ".state.json"


@dataclass
class Job:
    """One input PDF and its output's name under the output folder ("a/doc.json")."""

    path: Path
    name: str


@dataclass
class DocResult:
    file: str
    ok: bool  # an output was written (or a trusted one kept)
    output: str | None = None
    error: str | None = None
    pages: int = 0
    ocr_pages: int = 0
    line_items: int = 0
    indicators: int = 0
    pending: int = 0
    chunk_failures: int = 0
    chunks: int = 0
    conflicts: int = 0  # records the reconciler could not prove (status conflict)
    tables_checked: int = 0
    tables_holding: int = 0  # tables whose identities all hold
    seconds: float = 0.0
    skipped: bool = False

    @property
    def partial(self) -> bool:
        """Written, but the model failed some chunks (they are pending; a resume retries them)."""
        return self.ok and self.chunk_failures > 0

    @property
    def status(self) -> str:
        if not self.ok:
            return "failed"
        return "partial" if self.partial else ("skipped" if self.skipped else "ok")


@dataclass
class RunSummary:
    results: list[DocResult] = field(default_factory=list)
    ledger: Ledger = field(default_factory=Ledger)
    model: dict[str, Any] | None = None
    datasets: list[str] = field(default_factory=list)  # the CSV, Parquet and DuckDB files written
    queued: int = 0  # items added to the correction queue

    @property
    def failed(self) -> list[DocResult]:
        return [r for r in self.results if not r.ok]

    @property
    def partial(self) -> list[DocResult]:
        return [r for r in self.results if r.partial]

    def counts(self) -> dict[str, Any]:
        """What the closing table says: documents by outcome, tables reconciled, tokens."""
        ok = [r for r in self.results if r.ok]
        checked = sum(r.tables_checked for r in ok)
        return {
            "documents": len(self.results), "ok": sum(r.status in ("ok", "skipped") for r in self.results),
            "partial": len(self.partial), "with_conflicts": sum(r.conflicts > 0 for r in ok), "failed": len(self.failed),
            "pages": sum(r.pages for r in self.results),
            "tables_reconciled": round(sum(r.tables_holding for r in ok) / checked, 4) if checked else None,
            "prompt_tokens": self.ledger.run.prompt_tokens, "completion_tokens": self.ledger.run.completion_tokens,
            "calls": self.ledger.run.calls,
        }


_UNSAFE = re.compile(r'[\x00-\x1f<>:"|?*\\]')


def _safe_part(part: str) -> str:
    """A path part safe on every file system, never hidden (".state.pdf" → "_.state")."""
    part = _UNSAFE.sub("_", part).strip() or "_"
    return "_" + part if part.startswith(".") else part


def plan_jobs(inputs: list[Path]) -> list[Job]:
    """Files as given, folders as their PDFs (sorted), each named by its path relative to
    the inputs' common folder, so a/doc.pdf and b/doc.pdf write a/doc.json and b/doc.json.
    Names are made safe, never hidden (so never the state file), and unique."""
    pairs: list[tuple[Path, Path]] = []  # (file, the folder its name is relative to)
    for p in inputs:
        if p.is_dir():
            pairs.extend((q, p) for q in sorted(p.rglob("*")) if q.is_file() and q.suffix.lower() == ".pdf")
        else:
            pairs.append((p, p.parent))
    roots = {str(root.resolve()) for _, root in pairs}
    base = Path(os.path.commonpath(sorted(roots))) if roots else Path(".")
    jobs: list[Job] = []
    seen: set[str] = set()
    for path, _ in pairs:
        rel = path.resolve().relative_to(base) if path.resolve().is_relative_to(base) else Path(path.name)
        parts = [_safe_part(x) for x in rel.with_suffix("").parts]
        name = "/".join(parts) + ".json"
        n = 2
        while name.lower() in seen:  # doc.pdf and doc.PDF
            name = "/".join(parts) + f"~{n}.json"
            n += 1
        seen.add(name.lower())
        jobs.append(Job(path, name))
    return jobs


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _trusted(target: Path, digest: str | None) -> bool:
    """An output a resume may keep: present, the bytes the state recorded, and JSON."""
    try:
        text = target.read_text(encoding="utf-8")
        json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return digest is not None and _digest(text) == digest


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


STATE_VERSION = 2


def _load_state(out_dir: Path) -> dict[str, Any]:
    """What earlier runs finished, by output name; an unreadable or older state is empty
    (every document is done again, nothing is trusted blindly)."""
    path = out_dir / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        return {}
    return dict(data.get("outputs") or {})


def _save_state(out_dir: Path, state: dict[str, Any]) -> None:
    write_atomic(out_dir / STATE_FILE, json.dumps({"version": STATE_VERSION, "outputs": state},
                                                  ensure_ascii=False, indent=1))


@dataclass
class _Side:
    """What one process needs to do documents: the pipeline's context and the run's
    settings key (a resume trusts only outputs made with the same key)."""

    ctx: Context
    key: str


def do_document(job: Job, out_dir: Path, side: _Side, done: dict[str, Any] | None,
                on_page: Callable[[str, int, int], None] | None = None) -> tuple[DocResult, dict[str, Any] | None]:
    """One job: kept if a resume may trust its output, else `pipeline.process` and its
    output written atomically. Returns its result and its state entry (None: nothing to
    keep). `done`: what an earlier run recorded for this output (a resume), else None."""
    start = time.monotonic()
    result = DocResult(file=job.name, ok=False)
    target = out_dir / job.name
    try:
        sha = sha256_file(job.path)
        if (done and done.get("key") == side.key and done.get("input") == sha and done.get("status") == "ok"
                and _trusted(target, done.get("output"))):
            return DocResult(**{**done["result"], "skipped": True}), done
        done_ = process(job.path, side.ctx, on_page=(lambda n, ocr: on_page(job.name, n, int(ocr))) if on_page else None)
        text = dumps_contract(done_.output.model_dump(mode="json", exclude_none=False))
        write_atomic(target, text)
        pages, outcome = done_.analysis.pdf.pages, done_.outcome
        totals = outcome.reconciled.totals if outcome.reconciled else None
        result = DocResult(
            file=job.name, ok=True, output=str(target), pages=len(pages),
            ocr_pages=sum(p.source == "ocr" for p in pages),
            line_items=len(outcome.doc.line_items), indicators=len(outcome.doc.indicators),
            pending=len(outcome.pending), chunk_failures=len(outcome.failures), chunks=len(done_.analysis.chunks),
            conflicts=totals.conflicts if totals else 0, tables_checked=totals.tables_checked if totals else 0,
            tables_holding=totals.tables_all_holding if totals else 0, seconds=time.monotonic() - start,
        )
        return result, {"key": side.key, "input": sha, "output": _digest(text),
                        "status": "partial" if result.partial else "ok",
                        "result": {k: v for k, v in result.__dict__.items() if k != "skipped"}}
    except ReadError as exc:
        result.error = str(exc)
    except Exception as exc:  # noqa: BLE001 - one document's bug must not stop the batch
        result.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
    result.seconds = time.monotonic() - start
    return result, None


def run_batch(jobs: list[Job] | list[Path], out_dir: Path, settings: Settings, strategy: Strategy,
              resume: bool = True, on_page: Callable[[str, int, int], None] | None = None,
              on_document: Callable[[DocResult, Ledger], None] | None = None,
              prompt_versions: dict[str, str] | None = None, model: Model | None = None,
              datasets: bool = True, workers: int = 1, executor: Literal["local", "ray"] = "local",
              ray_address: str | None = None) -> RunSummary:
    """Every job's document extracted into `out_dir/<job.name>` by `do_document`. A document
    is done again unless a resume finds its output whole (the bytes the state recorded),
    made from the same input with the same settings, and complete (not partial).

    `model`: a model side opened by the caller (else the configured one is opened for the
    run). `workers` > 1: documents in parallel processes, each with its own client to the
    same endpoint (the embedded server is started once, here); the state, the learned
    layouts (merged on disk) and the datasets are written by one process at a time.
    `executor="ray"`: the same `do_document` as Ray tasks, on a local Ray runtime (`workers`
    CPUs) or the cluster at `ray_address`; outputs, resume and summary as with "local".
    `datasets`: also write the run as CSV, Parquet and DuckDB (extractor.dataset)."""
    if jobs and isinstance(jobs[0], Path):
        jobs = plan_jobs(jobs)  # type: ignore[arg-type]
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in stale_writes(out_dir):  # outputs, state or datasets a kill interrupted: removed
        stale.unlink(missing_ok=True)
    state = _load_state(out_dir) if resume else {}
    summary = RunSummary(ledger=Ledger(budget=settings.run.token_budget))
    ocr = OcrOptions.of(settings.ocr)
    book = LayoutBook.load(settings.cache_dir)
    given = contextlib.nullcontext(model) if model is not None else None
    with given or open_model(settings, strategy, summary.ledger, prompt_versions) as model:
        if given is not None and model is not None:
            summary.ledger = model.client.ledger
        summary.model = model.describe() if model else None
        if model is not None:
            model.layouts = book  # one book per run: what the model maps here is read freely later
        side = _Side(Context(strategy, model, book, ocr, summary.ledger), _settings_key(strategy, model))

        def finish(result: DocResult, entry: dict[str, Any] | None, usage: Usage | None = None) -> None:
            if entry is None:
                state.pop(result.file, None)
            else:
                state[result.file] = entry
            if usage is not None:
                summary.ledger.settle(0, result.file, "*", usage)
            summary.results.append(result)
            _save_state(out_dir, state)
            if on_document is not None:
                on_document(result, summary.ledger)

        todo = list(jobs)  # type: ignore[arg-type]
        if executor == "ray" and given is None:
            _run_ray(todo, out_dir, settings, side, state if resume else {}, workers, ray_address, finish)
        elif workers > 1 and len(todo) > 1 and given is None:
            _run_parallel(todo, out_dir, settings, side, state if resume else {}, workers, finish)
        else:
            for job in todo:
                finish(*do_document(job, out_dir, side, state.get(job.name) if resume else None, on_page))
        order = {job.name: i for i, job in enumerate(todo)}
        summary.results.sort(key=lambda r: order.get(r.file, len(order)))  # input order, however they finished
    if datasets:
        summary.datasets = _datasets(out_dir, summary)
    summary.queued = _fill_queue(out_dir, summary, {job.name: job.path for job in jobs})  # type: ignore[union-attr]
    return summary


def _fill_queue(out_dir: Path, summary: RunSummary, sources: dict[str, Path]) -> int:
    """What the run's outputs leave unproven, into OUT/queue.sqlite (extractor.queue);
    an output queued before adds nothing twice."""
    from extractor.queue import QUEUE_FILE, Queue, items_of

    queue = Queue(out_dir / QUEUE_FILE)
    try:
        added = 0
        for r in summary.results:
            if r.ok:
                added += queue.add(items_of(r.file, json.loads((out_dir / r.file).read_text(encoding="utf-8"))))
                if r.file in sources:
                    queue.set_source(r.file, sources[r.file])
        return added
    finally:
        queue.close()


_WORKER: _Side | None = None  # the model side of a worker process, opened once per process


def _init_worker(settings: Settings, side: _Side, endpoint: Endpoint | None, chosen: dict[str, Prompt]) -> None:
    global _WORKER
    model = None
    if endpoint is not None:
        client = LLMClient(endpoint, settings.llm, Ledger(), settings.cache_dir if settings.llm.cache else None,
                           max_tokens=settings.llm.max_tokens)
        model = Model(client, chosen)
    book = LayoutBook.load(settings.cache_dir)
    if model is not None:
        model.layouts = book
    _WORKER = _Side(Context(side.ctx.strategy, model, book, side.ctx.ocr, model.client.ledger if model else Ledger()),
                    side.key)


def _work(job: Job, out_dir: Path, done: dict[str, Any] | None) -> tuple[DocResult, dict[str, Any] | None, Usage]:
    assert _WORKER is not None
    result, entry = do_document(job, out_dir, _WORKER, done)
    used = _WORKER.ctx.ledger.documents.pop(job.path.name, Usage())
    return result, entry, used


def _worker_args(settings: Settings, side: _Side) -> tuple[Settings, _Side, Endpoint | None, dict[str, Prompt]]:
    """What a worker process needs to open its own side (all picklable): the endpoint of the
    model the parent opened (the embedded server is shared, not started again)."""
    model = side.ctx.model
    endpoint = model.client.endpoint if model is not None else None
    chosen = dict(model.prompts) if model is not None else {}
    return settings, _Side(Context(side.ctx.strategy, None, side.ctx.book, side.ctx.ocr, Ledger()), side.key), endpoint, chosen


def _run_parallel(jobs: list[Job], out_dir: Path, settings: Settings, side: _Side, state: dict[str, Any],
                  workers: int, finish: Callable[..., None]) -> None:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), initializer=_init_worker,
                             initargs=_worker_args(settings, side)) as pool:
        futures = {pool.submit(_work, job, out_dir, state.get(job.name)): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                finish(*future.result())
            except Exception as exc:  # noqa: BLE001 - a worker that died fails its document only
                finish(DocResult(file=job.name, ok=False, error=f"worker failed: {type(exc).__name__}: {exc}"), None)


def _datasets(out_dir: Path, summary: RunSummary) -> list[str]:
    """The run's outputs as CSV, Parquet and DuckDB beside them (see extractor.dataset)."""
    from extractor.dataset import write_dataset

    def outputs():  # type: ignore[no-untyped-def]
        for r in summary.results:
            if r.ok:
                yield r.file, json.loads((out_dir / r.file).read_text(encoding="utf-8"))

    return [str(p) for p in write_dataset(out_dir, outputs())]


def _ray_task(args: tuple[Settings, _Side, Endpoint | None, dict[str, Prompt]], job: Job, out_dir: Path,
              done: dict[str, Any] | None) -> tuple[DocResult, dict[str, Any] | None, Usage]:
    """One document as a Ray task: the worker process opens its side once, then reuses it."""
    if _WORKER is None or _WORKER.key != args[1].key:
        _init_worker(*args)
    return _work(job, out_dir, done)


def _run_ray(jobs: list[Job], out_dir: Path, settings: Settings, side: _Side, state: dict[str, Any],
             workers: int, address: str | None, finish: Callable[..., None]) -> None:
    """The documents as Ray tasks. Locally (no address) a runtime with `workers` CPUs is
    started for the run and shut down after; with an address the cluster's is used, and
    its workers must see `out_dir`, the cache directory and the model endpoint."""
    try:
        import ray
    except ImportError as exc:
        raise ExecutorError("--executor ray needs Ray: pip install 'budget-extractor[ray]' (or 'ray>=2.9')") from exc
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, num_cpus=None if address else workers, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    try:
        task = ray.remote(num_cpus=1)(_ray_task)
        args = ray.put(_worker_args(settings, side))
        pending = {task.remote(args, job, out_dir.resolve(), state.get(job.name)): job for job in jobs}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            job = pending.pop(ready[0])
            try:
                finish(*ray.get(ready[0]))
            except Exception as exc:  # noqa: BLE001 - a task that died fails its document only
                finish(DocResult(file=job.name, ok=False, error=f"ray task failed: {type(exc).__name__}: {exc}"), None)
    finally:
        if started:
            ray.shutdown()


class ExecutorError(ExtractorError):
    """The run cannot start as asked (an executor that is not installed)."""
