"""Eval suites: documents × a matrix of prompt versions, models/endpoints and strategies.

A suite is a TOML file (see eval/suites/ and eval/README.md):

    name = "samples"
    gold = "eval/gold"
    documents = ["samples/000.pdf", "samples/*_scan.pdf", "../shared/corpus/*.pdf"]
    [matrix]
    strategies = ["grid", "auto"]
    models = ["default"]            # or {name = "deepseek", base_url = "…", model = "deepseek-chat", api_key_env = "…"}
    prompts = ["latest"]            # or "v1", or {indicators = "v2", line_items = "v1"}

Paths are relative to the repository root. Each cell of the matrix is extracted with
`run_batch` (answer cache on), scored, and stored as `eval/runs/<key>/` with `out/`
(the contract files), `meta.json` and `score.json`. The grid strategy uses no model and
no prompt, so it is one cell whatever the other axes hold.
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from extractor.config import Settings
from extractor.errors import ExtractorError
from extractor.evaluation.runs import RUNS_DIR, run_json, score_run

SUITES_DIR = Path("eval/suites")
from extractor.extract.llm.tasks import TASKS


class SuiteError(ExtractorError):
    """A suite file that is missing or malformed."""


@dataclass(frozen=True)
class ModelSpec:
    name: str  # label in run keys and tables; "default" = as configured
    model: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    mode: str | None = None


@dataclass(frozen=True)
class Cell:
    strategy: str
    model: ModelSpec | None  # None for grid
    prompts: tuple[tuple[str, str], ...] | None  # (task, version | "latest"); None for grid


@dataclass
class Suite:
    name: str
    path: Path
    root: Path
    gold: Path
    documents: list[Path]
    missing: list[str]
    cells: list[Cell]
    description: str = ""


def _root_of(path: Path) -> Path:
    p = path.resolve()
    return p.parents[2] if p.parent.name == "suites" and p.parent.parent.name == "eval" else Path.cwd()


def _model(entry: Any) -> ModelSpec:
    if isinstance(entry, str):
        return ModelSpec(name=entry, model=None if entry == "default" else entry)
    if isinstance(entry, dict) and (entry.get("name") or entry.get("model")):
        return ModelSpec(name=str(entry.get("name") or entry["model"]), model=entry.get("model"),
                         base_url=entry.get("base_url"), api_key_env=entry.get("api_key_env"), mode=entry.get("mode"))
    raise SuiteError(f"a model entry is a name or a table with name/model (got {entry!r})")


def _prompts(entry: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(entry, str):
        return tuple((t, entry) for t in TASKS)
    if isinstance(entry, dict):
        unknown = set(entry) - set(TASKS)
        if unknown:
            raise SuiteError(f"unknown prompt task(s) {sorted(unknown)}; tasks: {', '.join(TASKS)}")
        return tuple((t, str(entry.get(t, "latest"))) for t in TASKS)
    raise SuiteError(f"a prompts entry is a version or a table task → version (got {entry!r})")


def find_suite(ref: str | Path) -> Path:
    path = Path(ref)
    for candidate in (path, SUITES_DIR / path, SUITES_DIR / f"{ref}.toml"):
        if candidate.is_file():
            return candidate
    raise SuiteError(f"no suite {str(ref)!r} (looked for it as a path and under {SUITES_DIR}/)")


def load_suite(ref: str | Path) -> Suite:
    path = find_suite(ref)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(f"{path}: not valid TOML: {exc}") from exc
    root = Path(data["root"]) if data.get("root") else _root_of(path)
    documents: list[Path] = []
    missing: list[str] = []
    for pattern in data.get("documents") or []:
        full = root / pattern
        hits = sorted(Path(p) for p in glob.glob(str(full))) if glob.has_magic(pattern) else ([full] if full.is_file() else [])
        if not hits:
            missing.append(pattern)
        documents += [h for h in hits if h not in documents]
    matrix = data.get("matrix") or {}
    strategies = matrix.get("strategies") or ["grid"]
    from extractor.extract.strategies import STRATEGIES

    bad = [s for s in strategies if s not in STRATEGIES]
    if bad:
        raise SuiteError(f"{path}: unknown strategies {bad}; choose from {', '.join(STRATEGIES)}")
    models = [_model(m) for m in (matrix.get("models") or ["default"])]
    prompt_sets = [_prompts(p) for p in (matrix.get("prompts") or ["latest"])]
    cells: list[Cell] = []
    for s in strategies:
        if s == "grid":
            cells.append(Cell("grid", None, None))
            continue
        cells += [Cell(s, m, p) for m in models for p in prompt_sets]
    return Suite(name=str(data.get("name") or path.stem), path=path, root=root,
                 gold=root / str(data.get("gold") or "eval/gold"), documents=documents, missing=missing,
                 cells=list(dict.fromkeys(cells)), description=str(data.get("description") or ""))


def resolved_prompts(cell: Cell) -> dict[str, str] | None:
    """Task → concrete version ("latest" resolved to the newest template)."""
    if cell.prompts is None:
        return None
    from extractor.extract.llm import prompts

    out = {}
    for task, version in cell.prompts:
        if version == "latest":
            found = prompts.versions(task)
            version = found[-1] if found else "v1"
        out[task] = version
    return out


def cell_settings(cell: Cell, settings: Settings) -> Settings:
    s = settings.model_copy(deep=True)
    s.run.strategy = cell.strategy  # type: ignore[assignment]
    m = cell.model
    if m is None:
        return s
    if m.base_url is not None:  # an endpoint
        s.llm.base_url, s.llm.model = m.base_url, m.model
    elif m.model is not None:  # a bare model name: a local model for the embedded server
        s.llm.base_url, s.llm.model = None, m.model
    if m.api_key_env:
        from pydantic import SecretStr

        key = os.environ.get(m.api_key_env)
        s.llm.api_key = SecretStr(key) if key else None
    if m.mode:
        s.llm.mode = m.mode  # type: ignore[assignment]
    return s


def model_label(cell: Cell, settings: Settings) -> str | None:
    if cell.model is None:
        return None
    if cell.model.name != "default":
        return cell.model.name
    if settings.llm.model:
        return settings.llm.model
    if settings.llm.base_url:
        return "endpoint"
    from extractor.extract.llm.models import DEFAULT_MODEL

    return DEFAULT_MODEL


def _slug(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z._+-]+", "-", text).strip("-")[:60] or "x"


def run_key(suite: str, cell: Cell, settings: Settings, stamp: str) -> str:
    parts = [suite, cell.strategy]
    label = model_label(cell, settings)
    if label:
        parts.append(label)
    versions = resolved_prompts(cell)
    if versions:
        distinct = set(versions.values())
        parts.append(f"p{distinct.pop()}" if len(distinct) == 1
                     else "p" + ".".join(f"{t[:3]}{v}" for t, v in versions.items()))
    return "__".join(_slug(p) for p in parts) + f"__{stamp}"


def _commit(root: Path) -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
        return done.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


@dataclass
class SuiteRun:
    key: str
    folder: Path
    meta: dict[str, Any]
    score: dict[str, Any]
    failed: list[str] = field(default_factory=list)


def run_suite(suite: Suite, settings: Settings, runs_dir: Path = RUNS_DIR,
              runner: Callable[..., Any] | None = None, strategies: list[str] | None = None,
              echo: Callable[[str], None] = print) -> list[SuiteRun]:
    """Extract, score and store every cell of the suite's matrix; returns what it stored."""
    if runner is None:
        from extractor.run import run_batch as runner  # heavy imports only when extracting
    from extractor import __version__

    for m in suite.missing:
        echo(f"note: skipping {m}: no such file")
    done: list[SuiteRun] = []
    for cell in suite.cells:
        if strategies and cell.strategy not in strategies:
            continue
        s = cell_settings(cell, settings)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        key = run_key(suite.name, cell, settings, stamp)
        n = 1
        while (runs_dir / key).exists():  # two cells resolving alike within one second
            n += 1
            key = f"{run_key(suite.name, cell, settings, stamp)}-{n}"
        folder = runs_dir / key
        out = folder / "out"
        versions = resolved_prompts(cell)
        echo(f"{key}: {len(suite.documents)} documents, strategy {cell.strategy}"
             + (f", model {model_label(cell, settings)}, prompts {versions}" if cell.model else ""))
        start = time.monotonic()
        summary = runner(suite.documents, out, s, cell.strategy, resume=False, prompt_versions=versions)
        seconds = time.monotonic() - start
        failed = [f"{r.file}: {(r.error or '').splitlines()[0] if r.error else ''}"
                  for r in getattr(summary, "results", []) if not r.ok]
        scored = score_run(out, suite.gold if suite.gold.is_dir() else None,
                           expected=[p.name for p in suite.documents])
        score = run_json(scored)
        ledger = getattr(summary, "ledger", None)
        usage = ledger.run.__dict__ if ledger is not None else None
        meta = {
            "key": key, "suite": suite.name, "suite_file": os.path.relpath(suite.path, suite.root), "timestamp": stamp,
            "strategy": cell.strategy, "model": model_label(cell, settings),
            "endpoint": getattr(summary, "model", None), "prompts": versions,
            "documents": [os.path.relpath(p, suite.root) for p in suite.documents], "skipped": suite.missing, "failed": failed,
            "usage": usage, "seconds": round(seconds, 2), "gold": str(suite.gold),
            "tool_version": __version__, "commit": _commit(suite.root),
        }
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        (folder / "score.json").write_text(json.dumps(score, ensure_ascii=False, indent=1), encoding="utf-8")
        o = score["overall"]
        echo(f"  → F1 {o['f1']:.4f} (P {o['precision']:.4f} R {o['recall']:.4f}) over {o['documents']} gold "
             f"documents; {len(failed)} failed; stored in {folder}")
        done.append(SuiteRun(key, folder, meta, score, failed))
    return done


def list_runs(runs_dir: Path = RUNS_DIR) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """(meta, score) of every stored run, oldest first."""
    found = []
    if not runs_dir.is_dir():
        return found
    for meta_path in runs_dir.glob("*/meta.json"):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, OSError):
            continue
        score_path = meta_path.parent / "score.json"
        score = json.loads(score_path.read_text(encoding="utf-8")) if score_path.is_file() else None
        meta.setdefault("key", meta_path.parent.name)
        found.append((meta, score))
    return sorted(found, key=lambda ms: (str(ms[0].get("timestamp")), ms[0]["key"]))
