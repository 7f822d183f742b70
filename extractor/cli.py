"""The `extractor` command: parse arguments, call one function, print. Nothing else.

Exit codes: 0 ok, 1 some documents failed, 2 usage or configuration error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import tomli_w
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from extractor import __version__, contract_schema
from extractor.config import ConfigError, Settings, config_source, load_settings, masked
from extractor.read.pdf import ReadError, read_pdf
from extractor.records import load_contract

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

app = typer.Typer(
    help="Turn Chinese budget disclosures (部门预算, 部门决算, 绩效目标表) into typed, verified records.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
config_app = typer.Typer(help="Show the effective configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")

out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Optional[Path],
    typer.Option("--config", "-c", help="TOML config file (default: ./extractor.toml if present)."),
]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table or json")]


def _settings(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except (ConfigError, ValidationError) as exc:
        err.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from exc


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
) -> None:
    """Show what the reader sees in a PDF: pages, text layer or scan, words, ruling lines."""
    try:
        doc = read_pdf(pdf)
    except ReadError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_FAILED) from exc
    rows = [
        {
            "page": p.number,
            "source": "scan (needs OCR)" if p.image_only else p.source,
            "words": len(p.words),
            "rules": len(p.rules),
            "size": f"{p.width:.0f}×{p.height:.0f}",
            "rotation": p.rotation,
        }
        for p in doc.pages
    ]
    if fmt == "json":
        out.print_json(json.dumps({"file": pdf.name, "sha256": doc.sha256, "pages": rows}, ensure_ascii=False))
        return
    table = Table(title=f"{pdf.name}  ({len(doc.pages)} pages, sha256 {doc.sha256[:12]}…)")
    for column in rows[0] if rows else ["page"]:
        table.add_column(column, justify="right" if column in ("page", "words", "rules") else "left")
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    out.print(table)


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
