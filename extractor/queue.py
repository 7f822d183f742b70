"""The correction queue: what the machine could not prove, waiting for a person.

`items_of` (pure) turns one output document into queue items, each with its evidence:
reconciler conflicts and printed inconsistencies with their identities and figures,
records flagged for review (level1_from_taxonomy, project_from_neighbours,
project_from_document, name_from_document, name_from_vocabulary, second_look, ungrounded
model values), grid/model disagreements, tables left pending and the audit's error and
warning findings. `Queue` keeps them in SQLite (WAL, one
transaction per decision, an optimistic version on every item) with a record of every
decision; `corrected` (pure) applies a document's decisions to its records, which is what
`extractor queue export` writes as a gold file.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from extractor.errors import ExtractorError
from extractor.reconcile.cells import half_unit, parse, wan
from extractor.records import ContractFile

Action = Literal["accept", "set", "reject", "skip"]
REVIEW_FLAGS = ("level1_from_taxonomy", "project_from_neighbours", "project_from_document",
                "name_from_document", "name_from_vocabulary", "second_look")
QUEUE_FILE = "queue.sqlite"


class QueueError(ExtractorError):
    """A queue request that cannot be done as asked (unknown item, stale version, bad value)."""


class Cell(BaseModel):
    """A field a person may set: `values.<header>` of a line item, or an indicator field."""

    collection: Literal["line_items", "indicators"]
    index: int
    field: str
    label: str
    value: str | None
    page: int | None = None
    box: tuple[float, float, float, float] | None = None
    printed: str | None = None


class Item(BaseModel):
    key: str = Field(description="stable within its output: re-adding an output adds nothing twice")
    output: str
    kind: str = Field(description="conflict, inconsistent, flag, ungrounded, disagreement, pending, finding")
    message: str
    risk_wan: Decimal = Field(default=Decimal(0), description="the size of the mismatch in 万元")
    records: int = Field(default=0, description="records the item touches")
    pages: list[int] = Field(default_factory=list)
    cells: list[Cell] = Field(default_factory=list)
    proposal: dict[str, str | None] | None = Field(default=None, description="cell label → proposed value")
    evidence: dict[str, Any] = Field(default_factory=dict)


class Stored(Item):
    id: int
    status: str
    version: int


def _cell(data: dict[str, Any], collection: str, index: int, field: str, label: str) -> Cell | None:
    records = data.get(collection) or []
    if not 0 <= index < len(records):
        return None
    record = records[index]
    if field.startswith("values."):
        value = (record.get("values") or {}).get(field[len("values."):])
    else:
        value = record.get(field)
    provenance = record.get("provenance") or {}
    source = (provenance.get("cells") or {}).get(field) or {}
    # a blank cell has no printed source: its row's box shows where it is
    return Cell(collection=collection, index=index, field=field, label=label, value=value,  # type: ignore[arg-type]
                page=source.get("page") or record.get("page"), box=source.get("box") or provenance.get("box"),
                printed=source.get("text"))


_LABEL = re.compile(r"^(?P<label>.*?)(?: \[(?P<field>[^\]]+)\])?$")


def _ref_cell(data: dict[str, Any], label: str) -> Cell | None:
    """A reconciler cell label ('支出总表 201 一般公共服务支出 [基本支出]') back to its record."""
    for collection in ("line_items", "indicators"):
        for i, record in enumerate(data.get(collection) or []):
            name = record.get("name") or ""
            for field in [f"values.{h}" for h in (record.get("values") or {})] + ["level1", "level2", "value"]:
                short = field[len("values."):] if field.startswith("values.") else field
                code = record.get("code")
                text = f"{record.get('table')} {code + ' ' if code else ''}{name} [{short}]"
                if text == label:
                    return _cell(data, collection, i, field, label)
    return None


def items_of(output: str, data: dict[str, Any]) -> list[Item]:
    """Everything in one output document a person should decide, with its evidence."""
    items: list[Item] = []
    rec = data.get("reconciliation") or {}
    for n, c in enumerate(rec.get("conflicts") or []):
        if str(c.get("reason", "")).startswith("rounding"):
            continue  # a published rounding gap: listed by the audit, nothing to decide
        labels, refs = c.get("cells") or [], c.get("refs") or []
        if len(refs) == len(labels) and refs:
            found = [_cell(data, r["collection"], r["index"], r["field"], label) for r, label in zip(refs, labels)]
        else:  # an output written before conflicts carried their refs: find each cell by its label
            found = [_ref_cell(data, label) for label in labels]
        cells = [cell for cell in found if cell]
        proposal = None
        cands = c.get("candidates") or []
        if len(cands) == 1:
            label, _, change = cands[0].partition(": ")
            proposal = {label: change.split(" → ")[-1].split(" (")[0]}
        items.append(Item(key=f"conflict:{n}", output=output, kind=c.get("status") or "conflict",
                          message=c.get("reason") or "", risk_wan=Decimal(str(c.get("mismatch_wan") or 0)),
                          records=len({(x.collection, x.index) for x in cells}), pages=c.get("pages") or [],
                          cells=cells, proposal=proposal,
                          evidence={"identities": c.get("identities") or [], "candidates": cands}))
    for collection in ("line_items", "indicators"):
        for i, record in enumerate(data.get(collection) or []):
            for flag in record.get("flags") or []:
                name = flag.split(":", 1)[0]
                if name not in REVIEW_FLAGS and name != "ungrounded":
                    continue
                field = {"level1_from_taxonomy": "level1", "project_from_neighbours": "project",
                         "project_from_document": "project", "name_from_document": "name",
                         "name_from_vocabulary": "name",
                         "second_look": flag.split(":")[1] if flag.count(":") >= 2 else ""}.get(
                    name, flag.split(":", 1)[-1])
                label = f"{record.get('table') or '绩效'} {record.get('name')} [{field}]"
                cell = _cell(data, collection, i, field, label)
                items.append(Item(key=f"flag:{collection}:{i}:{flag}", output=output,
                                  kind="ungrounded" if name == "ungrounded" else "flag",
                                  message=f"{flag}: {record.get('name')}", records=1, pages=[record.get("page") or 0],
                                  cells=[cell] if cell else [], evidence={"record": record}))
    report = data.get("report") or {}
    for n, line in enumerate(report.get("disagreements") or []):
        items.append(Item(key=f"disagreement:{n}", output=output, kind="disagreement", message=line, records=1))
    for p in report.get("pending") or []:
        items.append(Item(key=f"pending:{p.get('chunk')}", output=output, kind="pending",
                          message="; ".join(p.get("reasons") or []), pages=p.get("pages") or [],
                          evidence={"chunk": p.get("chunk")}))
    for n, f in enumerate((data.get("audit") or {}).get("findings") or []):
        if f.get("severity") == "info":
            continue
        items.append(Item(key=f"finding:{n}:{f.get('kind')}", output=output, kind="finding",
                          message=f"{f.get('severity')} {f.get('kind')}: {f.get('message')}", pages=f.get("pages") or [],
                          proposal={"fix": f["fix"]} if f.get("fix") else None, evidence={"finding": f}))
    return items


def _decimal(value: str) -> str:
    try:
        Decimal(value.replace(",", ""))
    except InvalidOperation as exc:
        raise QueueError(f"{value!r} is not an amount (digits, an optional '-' and '.')") from exc
    return value.replace(",", "")


class Queue:
    """The queue in one SQLite file: items, and every decision ever made on them."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS items (
                id INTEGER PRIMARY KEY, output TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL,
                message TEXT NOT NULL, risk_wan TEXT NOT NULL, records INTEGER NOT NULL, pages TEXT NOT NULL,
                cells TEXT NOT NULL, proposal TEXT, evidence TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'open', version INTEGER NOT NULL DEFAULT 0,
                UNIQUE (output, key));
            CREATE TABLE IF NOT EXISTS sources (output TEXT PRIMARY KEY, pdf TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS decisions (
                id INTEGER PRIMARY KEY, item INTEGER NOT NULL REFERENCES items(id), at TEXT NOT NULL,
                reviewer TEXT NOT NULL, action TEXT NOT NULL, old TEXT, new TEXT, evidence TEXT NOT NULL,
                undone INTEGER NOT NULL DEFAULT 0);
        """)

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def add(self, items: list[Item]) -> int:
        """Items not yet queued (by output and key); returns how many were new."""
        with self._tx() as db:
            before = db.total_changes
            for it in items:
                db.execute(
                    "INSERT OR IGNORE INTO items (output, key, kind, message, risk_wan, records, pages, cells, "
                    "proposal, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (it.output, it.key, it.kind, it.message, str(it.risk_wan), it.records, json.dumps(it.pages),
                     json.dumps([c.model_dump(mode="json") for c in it.cells], ensure_ascii=False),
                     json.dumps(it.proposal, ensure_ascii=False) if it.proposal else None,
                     json.dumps(it.evidence, ensure_ascii=False, default=str)))
            return db.total_changes - before

    def set_source(self, output: str, pdf: Path) -> None:
        """The PDF an output was read from (the review app shows its pages, and no other file)."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO sources (output, pdf) VALUES (?, ?)", (output, str(pdf.resolve())))

    def source(self, output: str) -> Path | None:
        row = self.db.execute("SELECT pdf FROM sources WHERE output = ?", (output,)).fetchone()
        return Path(row["pdf"]) if row else None

    def _row(self, row: sqlite3.Row) -> Stored:
        return Stored(id=row["id"], key=row["key"], output=row["output"], kind=row["kind"], message=row["message"],
                      risk_wan=Decimal(row["risk_wan"]), records=row["records"], pages=json.loads(row["pages"]),
                      cells=[Cell.model_validate(c) for c in json.loads(row["cells"])],
                      proposal=json.loads(row["proposal"]) if row["proposal"] else None,
                      evidence=json.loads(row["evidence"]), status=row["status"], version=row["version"])

    def ids(self, status: str | None = "open", output: str | None = None) -> list[int]:
        """Item ids by what they put at risk: the mismatch in 万元, then the records they touch
        (read without their evidence: cheap on a queue of thousands)."""
        rows = self.db.execute(
            "SELECT id, risk_wan, records FROM items WHERE (? IS NULL OR status = ?) AND (? IS NULL OR output = ?)",
            (status, status, output, output)).fetchall()
        return [r["id"] for r in sorted(rows, key=lambda r: (-Decimal(r["risk_wan"]), -r["records"], r["id"]))]

    def list(self, status: str | None = "open", output: str | None = None) -> list[Stored]:
        """The items themselves, in the order of `ids`."""
        return [self.get(i) for i in self.ids(status, output)]

    def get(self, item_id: int) -> Stored:
        row = self.db.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise QueueError(f"no item {item_id} in {self.path}")
        return self._row(row)

    def decide(self, item_id: int, action: Action, reviewer: str, version: int | None = None,
               values: dict[str, str | None] | None = None) -> Stored:
        """One decision in one transaction: the item's status and version move on only if
        nobody decided it since `version` was read; the decision is recorded with the old
        and new values and the evidence shown."""
        if action not in ("accept", "set", "reject", "skip"):
            raise QueueError(f"unknown action {action!r}")
        with self._tx() as db:
            row = db.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
            if row is None:
                raise QueueError(f"no item {item_id}")
            item = self._row(row)
            if version is not None and version != item.version:
                raise QueueError(f"item {item_id} was decided by someone else (version {item.version}, "
                                 f"you saw {version}): reload it")
            old = {c.label: c.value for c in item.cells}
            new: dict[str, str | None] | None
            if action == "set":
                if not values:
                    raise QueueError("set needs a value")
                known = {c.label: c for c in item.cells}
                if len(known) == 1 and set(values) - set(known):
                    values = {next(iter(known)): next(iter(values.values()))}
                for label in values:
                    if label not in known:
                        raise QueueError(f"item {item_id} has no cell {label!r}; its cells: "
                                         + ("; ".join(known) or "none (accept or reject it)"))
                new = {}
                for label, v in values.items():
                    v = (v or "").strip() or None
                    if v is not None and (known[label].field.startswith("values.") or known[label].field == "weight"):
                        v = _decimal(v)
                    new[label] = v
            elif action == "accept":
                new = values or item.proposal  # values: what was accepted, where it is not a proposal (a mapping)
            else:
                new = None
            status = {"accept": "accepted", "set": "set", "reject": "rejected", "skip": "open"}[action]
            db.execute("UPDATE items SET status = ?, version = version + 1 WHERE id = ? AND version = ?",
                       (status, item_id, item.version))
            db.execute("INSERT INTO decisions (item, at, reviewer, action, old, new, evidence) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (item_id, datetime.now(UTC).isoformat(timespec="seconds"), reviewer, action,
                        json.dumps(old, ensure_ascii=False), json.dumps(new, ensure_ascii=False),
                        json.dumps({"message": item.message, "evidence": item.evidence}, ensure_ascii=False,
                                   default=str)))
        return self.get(item_id)

    def undo(self, item_id: int, reviewer: str) -> Stored:
        """The item's last decision taken back (recorded as undone, never deleted)."""
        with self._tx() as db:
            last = db.execute("SELECT id FROM decisions WHERE item = ? AND undone = 0 ORDER BY id DESC LIMIT 1",
                              (item_id,)).fetchone()
            if last is None:
                raise QueueError(f"item {item_id} has no decision to undo")
            db.execute("UPDATE decisions SET undone = 1 WHERE id = ?", (last["id"],))
            db.execute("UPDATE items SET status = 'open', version = version + 1 WHERE id = ?", (item_id,))
            db.execute("INSERT INTO decisions (item, at, reviewer, action, evidence) VALUES (?, ?, ?, 'undo', '{}')",
                       (item_id, datetime.now(UTC).isoformat(timespec="seconds"), reviewer))
        return self.get(item_id)

    def decisions(self, item_id: int | None = None) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM decisions WHERE (? IS NULL OR item = ?) ORDER BY id",
                               (item_id, item_id)).fetchall()
        return [dict(r) for r in rows]

    def edits(self, output: str) -> list[tuple[Cell, str | None]]:
        """The cell values a person decided for one output, latest decision per item."""
        out: list[tuple[Cell, str | None]] = []
        for item in self.list(status=None, output=output):
            if item.status not in ("accepted", "set"):
                continue
            last = self.db.execute("SELECT new FROM decisions WHERE item = ? AND undone = 0 AND action IN "
                                   "('accept', 'set') ORDER BY id DESC LIMIT 1", (item.id,)).fetchone()
            new = json.loads(last["new"]) if last and last["new"] else {}
            for cell in item.cells:
                if cell.label in new:
                    out.append((cell, new[cell.label]))
        return out


def corrected(data: dict[str, Any], edits: list[tuple[Cell, str | None]]) -> ContractFile:
    """The output's records with a person's decisions applied: a gold file."""
    doc = ContractFile.model_validate({k: data[k] for k in ("document", "line_items", "indicators") if k in data})
    for cell, value in edits:
        records = doc.line_items if cell.collection == "line_items" else doc.indicators
        record = records[cell.index]
        if cell.field.startswith("values."):
            record.values[cell.field[len("values."):]] = value  # type: ignore[union-attr]
        else:
            setattr(record, cell.field, value)
        if record.provenance is not None:
            record.provenance.method = "human"
    return doc


def recheck(item: Item, values: dict[str, str | None]) -> list[dict[str, Any]]:
    """The item's amount identities checked again with some cells set to new values (by
    label): each with whether it holds now, within the rounding of its figures."""
    out = []
    for ident in item.evidence.get("identities") or []:
        figures = ident.get("figures") or []
        if not figures or any(f.get("cell") == "const" for f in figures):
            continue
        sums = {"lhs": Decimal(0), "rhs": Decimal(0)}
        tol = Decimal(0)
        try:
            for f in figures:
                text = (values[f["cell"]] if f["cell"] in values else f.get("printed")) or ""
                printed = text.replace(",", "").strip() or None
                if printed is not None and parse(printed) is None:
                    raise ValueError(printed)
                unit = f.get("unit") or "万元"
                sums[f["side"]] += wan(printed, unit)
                tol += half_unit(printed, unit)
        except (InvalidOperation, ValueError, KeyError):
            out.append({"id": ident.get("id"), "description": ident.get("description"), "holds": False,
                        "difference": "not a number"})
            continue
        diff = sums["lhs"] - sums["rhs"]
        out.append({"id": ident.get("id"), "description": ident.get("description"), "holds": abs(diff) <= tol,
                    "difference": f"{diff.normalize():f}"})
    return out
