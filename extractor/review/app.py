"""The review app: one page per queue item (the page image with the cells' boxes drawn,
the editable cells, the identities checked again as a value is typed), JSON endpoints for
the decisions, and the reviewed document's gold file.

Safety: paths never come from the request (a page is an item's page of the PDF the queue
records for its output); POSTs must come from this app's own origin and carry the
X-Review header (a foreign page can send neither); every decision carries the version the
reviewer saw, so one made elsewhere meanwhile is refused, not overwritten."""

from __future__ import annotations

import functools
import json
import threading
from pathlib import Path
from typing import Any, TypeVar

import pymupdf
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError

from extractor.queue import Queue, QueueError, corrected, recheck
from extractor.records import dumps_contract

T = TypeVar("T", bound=BaseModel)
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
KEYS = [("j / →", "next item"), ("k / ←", "previous item"), ("a", "accept (the proposed fix, if any)"),
        ("e", "edit the first cell"), ("Enter", "save the edited value"), ("r", "reject"), ("s", "skip"),
        ("u", "undo the last decision"), ("m", "read a pending table with the column roles chosen"),
        ("?", "these keys")]


class Decision(BaseModel):
    action: str
    version: int
    values: dict[str, str | None] | None = None


class Check(BaseModel):
    values: dict[str, str | None]


class Mapping(BaseModel):
    kind: str
    roles: list[str]
    version: int


ROLES = ("label", "code", "unitcode", "amount", "other")  # a budget table's column roles (layout.headers.Role)


@functools.lru_cache(maxsize=8)
def _analysis(pdf: str, mtime: float):  # type: ignore[no-untyped-def]
    from extractor.pipeline import analyse

    return analyse(Path(pdf))


def _pending_table(pdf: Path | None, chunk: str | None):  # type: ignore[no-untyped-def]
    """The table a pending item names, as the layout reads it now (None if it is gone)."""
    if pdf is None or chunk is None or not pdf.is_file():
        return None
    return next((t for t in _analysis(str(pdf), pdf.stat().st_mtime).tables if t.id == chunk), None)


def create_app(db: Path, out_dir: Path, reviewer: str, cache_dir: Path | None = None) -> FastAPI:
    app = FastAPI(title="extractor review", docs_url=None, redoc_url=None, openapi_url=None)
    local = threading.local()  # one connection per server thread (SQLite's rule)

    class _Queue:
        def __getattr__(self, name: str) -> Any:
            if not hasattr(local, "queue"):
                local.queue = Queue(db)
            return getattr(local.queue, name)

    queue: Queue = _Queue()  # type: ignore[assignment]

    def item_or_404(item_id: int):  # type: ignore[no-untyped-def]
        try:
            return queue.get(item_id)
        except QueueError as exc:
            raise HTTPException(404, str(exc)) from exc

    def same_origin(request: Request) -> None:
        origin = request.headers.get("origin")
        host = request.headers.get("host", "")
        if request.headers.get("x-review") != "1" or (origin and origin.split("://", 1)[-1] != host):
            raise HTTPException(403, "refused: not from this review page")

    async def parsed(request: Request, model: type[T]) -> T:
        """The request's JSON body as `model`, from this page only; else 403 or 422."""
        same_origin(request)
        try:
            return model.model_validate(await request.json())
        except (ValidationError, ValueError) as exc:
            raise HTTPException(422, f"malformed request: {str(exc)[:200]}") from exc

    @app.get("/", response_class=HTMLResponse)
    def home() -> Response:
        first = queue.ids()[:1]
        if not first:
            return HTMLResponse("<h1>The queue is empty</h1>")
        return RedirectResponse(f"/item/{first[0]}")

    @app.get("/item/{item_id}", response_class=HTMLResponse)
    def show(request: Request, item_id: int) -> Response:
        item = item_or_404(item_id)
        ids = queue.ids(status=None)
        at = ids.index(item.id)
        mapping = None
        table = _pending_table(queue.source(item.output), item.evidence.get("chunk")) if item.kind == "pending" else None
        if table is not None:
            from extractor.layouts import KINDS, draft_roles, header_block

            block = header_block(table)
            kind, roles = draft_roles(block)
            mapping = {"columns": block.columns, "rows": block.rows[:3], "kind": kind if kind in KINDS else "其他",
                       "roles": roles, "kinds": KINDS, "all_roles": ROLES, "title": table.title}
        return TEMPLATES.TemplateResponse(request, "item.html", {
            "mapping": mapping,
            "item": item, "checks": recheck(item, {}), "keys": KEYS, "reviewer": reviewer,
            "prev": ids[at - 1] if at > 0 else None, "next": ids[at + 1] if at + 1 < len(ids) else None,
            "position": at + 1, "total": len(ids), "open": len(queue.ids()),
            "has_page": queue.source(item.output) is not None and bool(item.pages or item.cells),
            "decisions": queue.decisions(item.id)})

    @app.get("/item/{item_id}/page.png")
    def page(item_id: int) -> Response:
        item = item_or_404(item_id)
        pdf = queue.source(item.output)
        number = next((c.page for c in item.cells if c.page), None) or (item.pages[0] if item.pages else None)
        if pdf is None or number is None or not pdf.is_file():
            raise HTTPException(404, "no page for this item")
        with pymupdf.open(pdf) as doc:
            if not 1 <= number <= len(doc):
                raise HTTPException(404, "no such page")
            p = doc[number - 1]
            for cell in item.cells:
                if cell.page == number and cell.box:
                    rect = pymupdf.Rect(cell.box) * p.derotation_matrix if p.rotation else pymupdf.Rect(cell.box)
                    colour = (0.9, 0.1, 0.1) if cell.value is None else (0.1, 0.4, 0.9)
                    p.draw_rect(rect, color=colour, width=1.5)
            png = p.get_pixmap(dpi=110).tobytes("png")
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})

    @app.post("/item/{item_id}/check")
    async def check(request: Request, item_id: int) -> JSONResponse:
        body = await parsed(request, Check)
        return JSONResponse({"identities": recheck(item_or_404(item_id), body.values)})

    @app.post("/item/{item_id}/decide")
    async def decide(request: Request, item_id: int) -> JSONResponse:
        body = await parsed(request, Decision)
        item_or_404(item_id)
        try:
            if body.action == "undo":
                done = queue.undo(item_id, reviewer)
            else:
                done = queue.decide(item_id, body.action, reviewer, body.version, body.values)  # type: ignore[arg-type]
        except QueueError as exc:
            status = 409 if "someone else" in str(exc) else 422
            return JSONResponse({"error": str(exc)}, status_code=status)
        return JSONResponse({"status": done.status, "version": done.version})

    @app.post("/item/{item_id}/map")
    async def map_columns(request: Request, item_id: int) -> JSONResponse:
        """A person maps a pending table's columns: the grid reader reads it at once under
        that mapping, which is checked as the model's are and, when it passes, stored as a
        learned layout, so the next table with this header needs nobody."""
        from extractor.extract.llm.responses import LayoutOut
        from extractor.extract.strategies import mapping_problems
        from extractor.layouts import Layout, LayoutBook, header_block

        body = await parsed(request, Mapping)
        try:
            answer = LayoutOut(kind=body.kind, roles=body.roles)
        except ValidationError as exc:
            raise HTTPException(422, f"malformed mapping: {str(exc)[:200]}") from exc
        item = item_or_404(item_id)
        table = _pending_table(queue.source(item.output), item.evidence.get("chunk"))
        if item.kind != "pending" or table is None:
            raise HTTPException(404, "this item has no pending table to map")
        block = header_block(table)
        found, items, indicators = mapping_problems(table, block, answer, item.output)
        if found:
            return JSONResponse({"error": "; ".join(found)}, status_code=422)
        roles = answer.roles if isinstance(answer.roles, list) else [answer.roles[str(i)] for i in range(len(answer.roles))]
        layout = Layout(signature=block.signature, columns=block.columns, kind=answer.kind, roles=roles,
                        source="person", note=f"{item.output} {table.id} p{table.pages[0]} by {reviewer}")
        try:
            done = queue.decide(item_id, "accept", reviewer, body.version,
                                {"layout": block.signature, "kind": answer.kind, "roles": ",".join(roles)})
        except QueueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409 if "someone else" in str(exc) else 422)
        LayoutBook.load(cache_dir).learn(layout)
        rows = [i.name for i in items][:5] or [i.name for i in indicators][:5]
        return JSONResponse({"status": done.status, "version": done.version, "signature": block.signature,
                             "read": len(items) + len(indicators), "rows": rows})

    @app.get("/export/{item_id}")
    def export(item_id: int) -> Response:
        """The gold file of the document this item belongs to, with every decision applied."""
        item = item_or_404(item_id)
        path = (out_dir / item.output).resolve()
        if not path.is_relative_to(out_dir.resolve()) or not path.is_file():
            raise HTTPException(404, "the output is not in this run's folder")
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        gold = corrected(data, queue.edits(item.output))
        name = Path(item.output).name
        return Response(dumps_contract(gold.model_dump(mode="json")), media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return app
