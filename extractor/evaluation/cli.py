"""`extractor eval …`: score a run, compare two, run suites, list stored runs, the gate's baseline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape as e
from rich.table import Table

from extractor.evaluation.runs import RUNS_DIR, RunError, resolve_run, run_json, score_run

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

eval_app = typer.Typer(help="Score runs against gold, compare runs, run eval suites, gate regressions.",
                       no_args_is_help=True)
out = Console()
err = Console(stderr=True)

GoldOption = Annotated[Path, typer.Option("--gold", "-g", help="Folder of gold contract files.")]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table or json")]
RunsOption = Annotated[Path, typer.Option("--runs-dir", help="Where stored eval runs live.")]


def _f(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.4f}"


def _share(s: dict[str, Any] | None) -> str:
    if not s:
        return "n/a"
    return "–" if s.get("share") is None else f"{s['share']:.3f} ({s['holding']}/{s['checked']})"


def _d(x: float | None) -> str:
    if x is None:
        return ""
    colour = "green" if x > 1e-9 else "red" if x < -1e-9 else "dim"
    return f"[{colour}]{x:+.4f}[/{colour}]"


def _resolve(ref: str, runs_dir: Path) -> Path:
    try:
        return resolve_run(ref, runs_dir)
    except RunError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_USAGE) from exc


def _gold(gold: Path) -> Path:
    if not gold.is_dir():
        err.print(f"[red]no gold folder {gold}[/red]")
        raise typer.Exit(EXIT_USAGE)
    return gold


def score_tables(data: dict[str, Any], fields_limit: int = 25) -> list[Table]:
    """Rich tables of a run's JSON score: documents (+ overall), table kinds, fields."""
    docs = Table(title=e(f"{data['run']} vs {data['gold']}"), title_justify="left")
    for c in ("document", "P", "R", "F1", "row recall", "✓/pred/gold", "gold-free tables", "gold-free cells"):
        docs.add_column(c, justify="left" if c == "document" else "right")
    for f, d in data["documents"].items():
        gf = d.get("gold_free") or {}
        if d.get("f1") is None:
            docs.add_row(e(f), "", "", "[dim]no gold[/dim]", "", "", _share(gf.get("tables")), _share(gf.get("cells")))
            continue
        docs.add_row(e(f) + (f" [dim]({e(d['note'])})[/dim]" if d.get("note") else ""), _f(d["precision"]),
                     _f(d["recall"]), _f(d["f1"]), _f(d["row_recall"]), f"{d['correct']}/{d['predicted']}/{d['gold']}",
                     _share(gf.get("tables")), _share(gf.get("cells")))
    o = data["overall"]
    gf = o.get("gold_free") or {}
    docs.add_section()
    docs.add_row(f"[bold]overall[/bold] ({o['documents']} documents)", _f(o["precision"]), _f(o["recall"]),
                 f"[bold]{_f(o['f1'])}[/bold]", _f(o["row_recall"]), f"{o['correct']}/{o['predicted']}/{o['gold']}",
                 _share(gf.get("tables")), _share(gf.get("cells")))
    kinds = Table(title="per table kind", title_justify="left")
    for c in ("table", "P", "R", "F1", "row recall", "✓/pred/gold", "gold-free cells"):
        kinds.add_column(c, justify="left" if c == "table" else "right")
    for k, t in data["tables"].items():
        kinds.add_row(e(k), _f(t["precision"]), _f(t["recall"]), _f(t["f1"]), _f(t["row_recall"]),
                      f"{t['correct']}/{t['predicted']}/{t['gold']}", _share(t.get("gold_free_cells")))
    fields = Table(title=f"per field (most-labelled {fields_limit})", title_justify="left")
    for c in ("field", "P", "R", "F1", "✓/pred/gold", "gold-free cells"):
        fields.add_column(c, justify="left" if c == "field" else "right")
    for k, t in list(data["fields"].items())[:fields_limit]:
        fields.add_row(e(k), _f(t["precision"]), _f(t["recall"]), _f(t["f1"]),
                       f"{t['correct']}/{t['predicted']}/{t['gold']}", _share(t.get("gold_free_cells")))
    return [docs, kinds, fields]


@eval_app.command("score")
def score_cmd(
    run: Annotated[str, typer.Argument(help="Run folder (contract JSON files) or a stored run's key.")],
    gold: GoldOption = Path("eval/gold"),
    fmt: FormatOption = "table",
    html: Annotated[Optional[Path], typer.Option("--html", help="Also write a self-contained HTML report.")] = None,
    fields_limit: Annotated[int, typer.Option("--fields", help="Fields shown in the table.")] = 25,
    runs_dir: RunsOption = RUNS_DIR,
) -> None:
    """Cell P/R/F1 of a run against gold: overall, per document, table kind and field; row recall; gold-free."""
    scored = score_run(_resolve(run, runs_dir), _gold(gold))
    data = run_json(scored)
    if html is not None:
        from extractor.evaluation.html import render_html

        html.write_text(render_html(scored), encoding="utf-8")
    if fmt == "json":
        out.print_json(json.dumps(data, ensure_ascii=False))
    else:
        for t in score_tables(data, fields_limit):
            out.print(t)
        if data["unscored_gold"]:
            out.print(f"[dim]gold documents not in this run: {e(', '.join(data['unscored_gold']))}[/dim]")
    if html is not None:
        err.print(f"wrote {html}")
    if not scored.scored:
        err.print("[yellow]no run document pairs with a gold file[/yellow]")
    for bad in scored.unreadable:
        err.print(f"[red]✗ unreadable output, not scored:[/red] {e(bad)}")
    if scored.unreadable:
        raise typer.Exit(EXIT_FAILED)


@eval_app.command("compare")
def compare_cmd(
    run_a: Annotated[str, typer.Argument(help="The old run (folder or stored key).")],
    run_b: Annotated[str, typer.Argument(help="The new run (folder or stored key).")],
    gold: GoldOption = Path("eval/gold"),
    fmt: FormatOption = "table",
    limit: Annotated[int, typer.Option("--limit", help="Flipped cells listed per direction.")] = 50,
    runs_dir: RunsOption = RUNS_DIR,
) -> None:
    """Deltas per document, table kind and field, and the cells that went right → wrong and wrong → right."""
    from extractor.evaluation.compare import compare_runs

    gold = _gold(gold)
    a = score_run(_resolve(run_a, runs_dir), gold)
    b = score_run(_resolve(run_b, runs_dir), gold)
    comp = compare_runs(a, b)
    if fmt == "json":
        out.print_json(json.dumps(comp.as_dict(), ensure_ascii=False, default=str))
        return
    ga, gb = a.gold_free.as_dict(), b.gold_free.as_dict()
    head = Table(title=e(f"A = {a.run_dir}\nB = {b.run_dir}"), title_justify="left")
    for c in ("", "F1 A", "F1 B", "Δ F1", "P A→B", "R A→B", "gold-free cells A→B"):
        head.add_column(c, justify="left" if not c else "right")
    o = comp.overall
    assert o.a is not None and o.b is not None
    head.add_row("[bold]overall[/bold]", _f(o.a.f1), _f(o.b.f1), _d(o.f1_delta),
                 f"{_f(o.a.precision)}→{_f(o.b.precision)}", f"{_f(o.a.recall)}→{_f(o.b.recall)}",
                 f"{_share(ga.get('cells'))}→{_share(gb.get('cells'))}")
    out.print(head)
    for title, deltas, changed_only in (("per document", comp.documents, False), ("per table kind", comp.tables, False),
                                        ("per field (changed)", comp.fields, True)):
        t = Table(title=title, title_justify="left")
        for c in ("name", "F1 A", "F1 B", "Δ F1", "✓ A→B", "gold"):
            t.add_column(c, justify="left" if c == "name" else "right")
        for d in deltas:
            if changed_only and (d.a is not None and d.b is not None and d.a.correct == d.b.correct
                                 and d.a.predicted == d.b.predicted):
                continue
            t.add_row(e(d.name), _f(d.a.f1 if d.a else None), _f(d.b.f1 if d.b else None), _d(d.f1_delta),
                      f"{d.a.correct if d.a else '–'}→{d.b.correct if d.b else '–'}",
                      str((d.b or d.a).gold if (d.b or d.a) else ""))
        if t.row_count:
            out.print(t)
    for title, flips, colour in (("right → wrong", comp.broken, "red"), ("wrong → right", comp.fixed, "green"),
                                 ("spurious cells added", comp.spurious_added, "yellow"),
                                 ("spurious cells removed", comp.spurious_removed, "dim")):
        if not flips:
            continue
        t = Table(title=f"[{colour}]{title} ({len(flips)})[/{colour}]", title_justify="left")
        for c in ("document", "p.", "cell", "gold", "A", "B", "printed"):
            t.add_column(c, overflow="fold")
        for f in flips[:limit]:
            t.add_row(e(f.document), str(f.page or ""), e(f.cell), e(f.gold or "—"), e(f.a or "—"), e(f.b or "—"),
                      e(f.source or ""))
        out.print(t)
        if len(flips) > limit:
            out.print(f"[dim]… {len(flips) - limit} more (--limit, or --format json)[/dim]")
    if not (comp.broken or comp.fixed or comp.spurious_added or comp.spurious_removed):
        out.print("no cell changed between the runs")


@eval_app.command("run")
def run_cmd(
    suite: Annotated[str, typer.Argument(help="Suite name (eval/suites/NAME.toml) or path.")],
    strategy: Annotated[Optional[list[str]], typer.Option("--strategy", help="Only these strategies.")] = None,
    runs_dir: RunsOption = RUNS_DIR,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="TOML config file.")] = None,
) -> None:
    """Extract, score and store every cell of a suite's matrix (prompts × models × strategies)."""
    from pydantic import ValidationError

    from extractor.config import ConfigError, load_settings
    from extractor.evaluation.suite import SuiteError, load_suite, run_suite

    try:
        settings = load_settings(config)
    except (ConfigError, ValidationError) as exc:
        err.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from exc

    try:
        s = load_suite(suite)
    except SuiteError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_USAGE) from exc
    if not s.documents:
        err.print(f"[red]suite {s.name}: none of its documents exist[/red]")
        raise typer.Exit(EXIT_USAGE)
    done = run_suite(s, settings, runs_dir, strategies=strategy, echo=lambda m: out.print(m, highlight=False))
    _list(runs_dir, [r.key for r in done])
    raise typer.Exit(EXIT_FAILED if any(r.failed for r in done) else EXIT_OK)


def _list(runs_dir: Path, only: list[str] | None = None) -> None:
    from extractor.evaluation.suite import list_runs

    runs = [(m, s) for m, s in list_runs(runs_dir) if only is None or m["key"] in only]
    if not runs:
        out.print(f"no stored runs under {runs_dir}")
        return
    t = Table(title=f"eval runs ({runs_dir})", title_justify="left")
    for c in ("key", "suite", "strategy", "model", "prompts", "docs", "P", "R", "F1", "row recall",
              "gold-free tables", "gold-free cells", "failed", "s"):
        t.add_column(c, justify="left" if c in ("key", "suite", "strategy", "model", "prompts") else "right",
                     overflow="fold")
    for m, s in runs:
        o = (s or {}).get("overall") or {}
        gf = o.get("gold_free") or {}
        prompts = m.get("prompts")
        t.add_row(e(m["key"]), e(m.get("suite", "")), m.get("strategy", ""), e(m.get("model") or "–"),
                  e(",".join(f"{k}/{v}" for k, v in prompts.items())) if prompts else "–", str(o.get("documents", "")),
                  _f(o.get("precision")), _f(o.get("recall")), _f(o.get("f1")), _f(o.get("row_recall")),
                  _share(gf.get("tables")), _share(gf.get("cells")), str(len(m.get("failed") or [])),
                  str(m.get("seconds", "")))
    out.print(t)


@eval_app.command("list")
def list_cmd(runs_dir: RunsOption = RUNS_DIR, fmt: FormatOption = "table") -> None:
    """Stored eval runs, oldest first, with their overall and gold-free figures."""
    if fmt == "json":
        from extractor.evaluation.suite import list_runs

        out.print_json(json.dumps([{"meta": m, "overall": (s or {}).get("overall")} for m, s in list_runs(runs_dir)],
                                  ensure_ascii=False))
        return
    _list(runs_dir)


@eval_app.command("show")
def show_cmd(
    runs: Annotated[list[str], typer.Argument(help="Stored run keys (or folders) to show side by side.")],
    gold: GoldOption = Path("eval/gold"),
    runs_dir: RunsOption = RUNS_DIR,
) -> None:
    """Runs side by side: F1 per table kind and per field, one column per run."""
    data = [(r, run_json(score_run(_resolve(r, runs_dir), _gold(gold)))) for r in runs]
    for section, rows in (("overall", None), ("tables", None), ("fields", None)):
        t = Table(title=f"F1 — {section}", title_justify="left")
        t.add_column("")
        for r, _ in data:
            t.add_column(r[-40:], justify="right", overflow="fold")
        names = ["overall"] if section == "overall" else list(dict.fromkeys(k for _, d in data for k in d[section]))
        for n in names[:40]:
            cells = []
            for _, d in data:
                entry = d["overall"] if section == "overall" else d[section].get(n)
                cells.append(_f(entry["f1"]) if entry else "–")
            t.add_row(e(n), *cells)
        if section == "overall":
            t.add_row("gold-free cells", *[_share((d["overall"].get("gold_free") or {}).get("cells")) for _, d in data])
        out.print(t)


@eval_app.command("baseline")
def baseline_cmd(
    write: Annotated[bool, typer.Option("--write", help="Raise the baseline to today's figures.")] = False,
) -> None:
    """The regression gate's baseline (grid on the digital samples + corpus gold): check it, or --write it."""
    from extractor.evaluation import baseline

    raise typer.Exit(baseline.main(["--write"] if write else []))


@eval_app.command("layouts")
def layouts_cmd(
    suite: Annotated[Path, typer.Option("--suite", help="Labelled header blocks (JSON lines).")] = Path(
        "eval/suites/header_blocks.jsonl"),
    limit: Annotated[Optional[int], typer.Option("--limit", help="Only N blocks, spread evenly over the suite.")] = None,
    prompt: Annotated[Optional[str], typer.Option("--prompt", help="Version of the layout prompt (default: newest).")] = None,
    out_json: Annotated[Optional[Path], typer.Option("--out", help="Also write every block's result here.")] = None,
    rules: Annotated[bool, typer.Option("--rules", help="Score the rules' draft alone (no model): the baseline.")] = False,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="TOML config file.")] = None,
    fmt: FormatOption = "table",
) -> None:
    """Score the layout mapper (a prompt × model) on labelled header blocks: role accuracy per
    column, tables fully right, tokens and seconds per table."""
    from rich.progress import Progress

    from extractor.config import load_settings
    from extractor.evaluation.layouts import confusions, load_suite, run_mapper, summarize
    from extractor.extract.llm.usage import Ledger
    from extractor.run import open_model

    try:
        blocks = load_suite(suite)
        if limit is not None and 0 < limit < len(blocks):
            blocks = [blocks[i * len(blocks) // limit] for i in range(limit)]
    except (OSError, ValueError) as exc:
        err.print(f"[red]cannot read the suite:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    if rules:
        from extractor.evaluation.layouts import score_block
        from extractor.layouts import draft_roles

        results = [score_block(b, *draft_roles(b)) for b in blocks]
        described: dict[str, Any] = {"model": "rules (no model)", "prompts": {"layout": "-"}}
    else:
        settings = load_settings(config)
        ledger = Ledger(budget=settings.run.token_budget)
        with open_model(settings, "auto", ledger, {"layout": prompt} if prompt else None) as model:
            assert model is not None
            with Progress(transient=True, console=err) as bar:
                task = bar.add_task("mapping header blocks", total=len(blocks))
                results = run_mapper(model, blocks, on_block=lambda r: bar.advance(task))
            described = model.describe()
    summary = summarize(results)
    if out_json is not None:
        out_json.write_text(json.dumps({"model": described, "summary": summary.model_dump(),
                                        "blocks": [r.model_dump() for r in results]}, ensure_ascii=False, indent=1),
                            encoding="utf-8")
    if fmt == "json":
        out.print_json(json.dumps({"model": described, "summary": summary.model_dump()}, ensure_ascii=False))
        return
    t = Table(title=f"layout mapper · {described.get('model')} · {described.get('prompts', {}).get('layout')} · "
                    f"{summary.tables} tables", title_justify="left")
    for col in ("columns right", "tables exact", "kind right", "failed", "answer tokens / table",
                "prompt tokens / table", "s / table"):
        t.add_column(col)
    t.add_row(f"{summary.column_accuracy:.1%} ({sum(r.correct for r in results)}/{summary.columns})",
              f"{summary.tables_exact}/{summary.tables}", f"{summary.kind_accuracy:.1%}", str(summary.failed),
              f"{summary.completion_tokens_per_table:.0f}", f"{summary.prompt_tokens_per_table:.0f}",
              f"{summary.seconds_per_table:.1f}")
    out.print(t)
    roles = Table(title="per role (labelled → right)", title_justify="left")
    for col in ("role", "right", "labelled"):
        roles.add_column(col)
    for role, (right, n) in summary.per_role.items():
        roles.add_row(role, str(right), str(n))
    out.print(roles)
    worst = confusions(results)
    if worst:
        out.print("most frequent mistakes (labelled → answered): "
                  + ", ".join(f"{e(a)}→{e(b)} ×{n}" for a, b, n in worst))


gold_app = typer.Typer(help="The gold set: hand-checked contract files under eval/gold/.", no_args_is_help=True)
eval_app.add_typer(gold_app, name="gold")


@gold_app.command("merge")
def gold_merge(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="Gold files (from `queue export`).")],
    gold: GoldOption = Path("eval/gold"),
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Write without asking.")] = False,
) -> None:
    """Add reviewed documents to the gold set: each file's changes against the gold file of
    the same name (or all of it, when new) are shown cell by cell, then written on confirmation."""
    from extractor.evaluation.score import gold_diff
    from extractor.records import dumps_contract, load_contract

    written = 0
    for path in files:
        try:
            doc = load_contract(path)
        except ValueError as exc:
            err.print(f"[red]✗ {path} is not a contract file[/red]: {str(exc)[:300]}")
            raise typer.Exit(EXIT_USAGE) from exc
        target = gold / path.name
        old = json.loads(target.read_text(encoding="utf-8")) if target.is_file() else None
        new = doc.model_dump(mode="json")
        changes = gold_diff(old, new)
        out.print(f"{target}: {'new file' if old is None else f'{len(changes)} cell(s) change'}", soft_wrap=True)
        table = Table()
        for col in ("record", "field", "gold now", "merged"):
            table.add_column(col, overflow="fold")
        for record, field, before, after in changes[:60]:
            table.add_row(e(record), e(field), e(str(before)), e(str(after)))
        out.print(table)
        if len(changes) > 60:
            out.print(f"… and {len(changes) - 60} more")
        if not changes and old is not None:
            out.print("no change")
            continue
        if yes or typer.confirm(f"write {target}?", default=False):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(dumps_contract(new), encoding="utf-8")
            written += 1
    out.print(f"{written} gold file(s) written to {gold}", soft_wrap=True)
