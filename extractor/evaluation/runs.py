"""A run (a folder of contract JSON files) scored against a gold folder.

Gold and run files pair by `document.file`, else by `document.sha256`. A stored eval
run (`eval/runs/<key>/`) keeps its contract files under `out/`; either kind of folder,
or a stored run's key, names a run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from extractor.errors import ExtractorError
from extractor.evaluation.goldfree import GoldFree, Share, gold_free
from extractor.evaluation.score import Score, Tally, pooled, score_document

RUNS_DIR = Path("eval/runs")
NOT_CONTRACT = {"meta.json", "score.json", "baseline.json"}


class RunError(ExtractorError):
    """A run or gold folder that cannot be read."""


def resolve_run(ref: str | Path, runs_dir: Path = RUNS_DIR) -> Path:
    """The folder holding a run's contract files: a path, or a stored run's key (or unique prefix)."""
    path = Path(ref)
    if not path.is_dir():
        if runs_dir.is_dir():
            exact = runs_dir / str(ref)
            matches = [exact] if exact.is_dir() else sorted(p for p in runs_dir.iterdir()
                                                            if p.is_dir() and p.name.startswith(str(ref)))
            if len(matches) > 1:
                raise RunError(f"{ref!r} matches {len(matches)} stored runs: {', '.join(p.name for p in matches[:5])}")
            if matches:
                path = matches[0]
        if not path.is_dir():
            raise RunError(f"no run folder or stored run named {str(ref)!r}")
    return path / "out" if (path / "out").is_dir() else path


def run_meta(run_dir: Path) -> dict[str, Any] | None:
    """meta.json of a stored run (given its folder or its out/ folder)."""
    for p in (run_dir / "meta.json", run_dir.parent / "meta.json"):
        if p.is_file():
            return json.loads(p.read_text(encoding="utf-8"))
    return None


def load_docs(folder: Path, unreadable: list[str] | None = None) -> dict[str, tuple[Path, dict]]:
    """document.file → (path, parsed contract) for every contract file in a folder and its
    sub-folders (a run mirrors its inputs' folders). Files that are not readable JSON are
    named in `unreadable` (with why) when a list is given."""
    if not folder.is_dir():
        raise RunError(f"not a folder: {folder}")
    docs: dict[str, tuple[Path, dict]] = {}
    for path in sorted(folder.rglob("*.json")):
        rel = path.relative_to(folder)
        if path.name in NOT_CONTRACT or any(part.startswith(".") for part in rel.parts):
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            if unreadable is not None:
                unreadable.append(f"{rel}: {type(exc).__name__}: {str(exc)[:120]}")
            continue
        if isinstance(data, dict) and isinstance(data.get("document"), dict) and data["document"].get("file"):
            docs[data["document"]["file"]] = (path, data)
    return docs


@dataclass
class DocScore:
    file: str  # the gold's document.file when paired (by file or sha256), else the run's
    run_path: Path | None
    gold_path: Path | None
    score: Score | None  # None: no gold for this document
    gold_free: GoldFree
    note: str | None = None


@dataclass
class RunScore:
    run_dir: Path
    gold_dir: Path | None
    documents: list[DocScore] = field(default_factory=list)
    unscored_gold: list[str] = field(default_factory=list)  # gold documents the run does not have
    unreadable: list[str] = field(default_factory=list)  # run files that are not readable JSON (with why)
    notes: list[str] = field(default_factory=list)

    @property
    def scored(self) -> list[DocScore]:
        return [d for d in self.documents if d.score is not None]

    @cached_property
    def overall(self) -> Score:
        return pooled(d.score for d in self.scored if d.score is not None)

    @cached_property
    def gold_free(self) -> GoldFree:
        """Pooled over the documents where the reconciler worked; n/a if it worked on none."""
        total = GoldFree()
        ok = [d.gold_free for d in self.documents if not d.gold_free.error]
        for g in ok:
            total.add(g)
        if self.documents and not ok:
            total.error = self.documents[0].gold_free.error
        return total

    def doc(self, file: str) -> DocScore | None:
        return next((d for d in self.documents if d.file == file), None)


def _pair(gold: dict[str, tuple[Path, dict]], run_file: str, run_doc: dict) -> tuple[Path, dict] | None:
    if run_file in gold:
        return gold[run_file]
    sha = run_doc["document"].get("sha256")
    return next((g for g in gold.values() if sha and g[1]["document"].get("sha256") == sha), None)


def score_run(run_dir: Path, gold_dir: Path | None, expected: list[str] | None = None,
              with_gold_free: bool = True) -> RunScore:
    """Score every contract file in `run_dir` that has gold; gold-free figures for all.

    `expected`: document file names the run should have produced (a suite's documents);
    one with gold that the run lacks is scored as an empty prediction, so a failed
    document costs recall instead of vanishing.
    """
    unreadable: list[str] = []
    run_docs = load_docs(run_dir, unreadable)
    gold = load_docs(gold_dir) if gold_dir is not None else {}
    result = RunScore(run_dir=run_dir, gold_dir=gold_dir, unreadable=unreadable)
    paired: set[str] = set()
    for file, (path, data) in run_docs.items():
        g = _pair(gold, file, data)
        if g is not None:
            paired.add(g[1]["document"]["file"])
        result.documents.append(DocScore(
            # named as in gold (paired by file or sha256), so two runs pair document by document
            file=g[1]["document"]["file"] if g else file, run_path=path, gold_path=g[0] if g else None,
            score=score_document(g[1], data) if g else None,
            gold_free=gold_free(data) if with_gold_free else GoldFree(error="not computed"),
        ))
    for gfile, (gpath, gdata) in gold.items():
        if gfile in paired:
            continue
        if expected is not None and gfile in expected:
            empty = {"document": gdata["document"], "line_items": [], "indicators": []}
            result.documents.append(DocScore(file=gfile, run_path=None, gold_path=gpath,
                                             score=score_document(gdata, empty), gold_free=GoldFree(error="no output"),
                                             note="no output: scored as empty"))
        else:
            result.unscored_gold.append(gfile)
    result.documents.sort(key=lambda d: d.file)
    return result


def _gf(g: GoldFree | None) -> dict[str, Any]:
    return {"error": "n/a"} if g is None else g.as_dict()


def score_dict(s: Score, g: GoldFree | None = None, rows: Tally | None = None) -> dict[str, Any]:
    out = s.overall.as_dict()
    out.update(row_recall=round(s.row_recall, 6), rows_gold=s.rows_gold, rows_found=s.rows_found)
    if g is not None:
        out["gold_free"] = _gf(g)
    return out


def run_json(rs: RunScore) -> dict[str, Any]:
    """The JSON form: overall figures under `overall`, then documents, tables, fields."""
    overall = rs.overall
    gf = rs.gold_free
    tables = {}
    for k, t in sorted(overall.by_table.items()):
        rows = overall.rows_by_table.get(k, Tally())
        share = gf.by_table.get(k)
        tables[k] = {**t.as_dict(), "row_recall": round(rows.correct / rows.gold, 6) if rows.gold else None,
                     "gold_free_cells": None if gf.error else (share or Share()).as_dict()}
    fields = {}
    for k, t in sorted(overall.by_column.items(), key=lambda kv: (-kv[1].gold, kv[0])):
        share = gf.by_field.get(k)
        fields[k] = {**t.as_dict(), "gold_free_cells": None if gf.error else (share or Share()).as_dict()}
    return {
        "run": str(rs.run_dir),
        "gold": str(rs.gold_dir) if rs.gold_dir else None,
        "overall": {**score_dict(overall, gf), "documents": len(rs.scored)},
        "documents": {d.file: ({**score_dict(d.score, d.gold_free), "note": d.note} if d.score is not None
                               else {"f1": None, "gold_free": _gf(d.gold_free), "note": "no gold"})
                      for d in rs.documents},
        "tables": tables,
        "fields": fields,
        "unscored_gold": rs.unscored_gold,
        "notes": rs.notes,
    }
