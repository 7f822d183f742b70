"""Names on OCR'd pages, checked against the names the document prints elsewhere.

A scan's indicator table may read 乡镇司法所经费 as 乡铺司法所经费 while the 项目支出表
reads it right. A project name that appears nowhere else, and differs in exactly one
character from exactly one project name the line items print, is that name; the record
is flagged `project_from_document`.

The same holds for a subject's name: the 支出总表 and the 一般公共预算支出表 print the
same code with the same name, so 般公共服务支出 beside 一般公共服务支出 twice is a lost
character. A name is repaired only towards the one near name that the document prints
for the same code more often than the reading; the record says so in its flags, with
what was read. A name the document prints no better is set to its code's name in the
national classification (`vocabulary.SUBJECT_NAMES`) when it is one slip away from it,
flagged `name_from_vocabulary:<what was read>`. Units are not repaired so: 元/套 and 元/年
are one character apart and both real. Pure: records in, records out.
"""

from __future__ import annotations

from collections import Counter
from typing import TypeVar

from extractor.normalize import one_char_apart
from extractor.records import Indicator, LineItem
from extractor.vocabulary import SUBJECT_NAMES

R = TypeVar("R", LineItem, Indicator)


def _near(a: str, b: str) -> bool:
    """One OCR slip apart: one character misread, lost or read in extra ("般公共服务支出")."""
    if len(a) == len(b):
        return len(a) >= 4 and one_char_apart(a, b)
    short, long_ = sorted((a, b), key=len)
    if len(long_) - len(short) != 1 or len(short) < 4:
        return False
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _settle(readings: list[str | None], on_ocr: list[bool]) -> list[str | None]:
    """Each OCR'd reading replaced by the one near reading printed more often in the document."""
    counts = Counter(r for r in readings if r)
    out: list[str | None] = []
    for r, ocr in zip(readings, on_ocr, strict=True):
        if ocr and r and len(r) >= 2:
            near = [k for k in counts if k != r and _near(r, k) and counts[k] > counts[r]]
            if len(near) == 1:
                out.append(near[0])
                continue
        out.append(r)
    return out


def settle_ocr_names(items: list[LineItem], ocr_pages: set[int]) -> list[LineItem]:
    """Subject names on OCR'd pages set, code by code, to the near reading the document
    prints more often; flagged `name_from_document:<what was read>`."""
    items = list(items)
    by_code: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        if it.code and it.name:
            by_code.setdefault(it.code, []).append(i)
    for code, rows in by_code.items():
        names = _settle([items[i].name for i in rows], [items[i].page in ocr_pages for i in rows])
        known = SUBJECT_NAMES.get(code, ())
        for i, name in zip(rows, names, strict=True):
            flag = "name_from_document"
            if name == items[i].name and items[i].page in ocr_pages and name not in known:
                near = [k for k in known if _near(name, k)]  # type: ignore[arg-type]
                if len(near) == 1:
                    name, flag = near[0], "name_from_vocabulary"
            if name != items[i].name:
                old = items[i]
                items[i] = old.model_copy(update={"name": name, "flags": [*(old.flags or []), f"{flag}:{old.name}"]})
    return items


def settle_ocr_projects(indicators: list[Indicator], items: list[LineItem], ocr_pages: set[int]) -> list[Indicator]:
    known = {i.name for i in items if i.table == "项目支出表" and i.name}
    out = []
    for ind in indicators:
        name = ind.project
        if ind.page in ocr_pages and name and name not in known:
            near = [k for k in known if one_char_apart(name, k)]
            if len(near) == 1:
                ind = ind.model_copy(update={"project": near[0],
                                             "flags": (ind.flags or []) + ["project_from_document"]})
        out.append(ind)
    return out


def flag_second_looks(records: list[R]) -> list[R]:
    """Records with a cell that a second look read differently from OCR's first reading are
    flagged `second_look:<field>:<first reading>` (the provenance keeps both readings)."""
    out = []
    for r in records:
        cells = r.provenance.cells if r.provenance else {}
        looked = [f"second_look:{f}:{c.read}" for f, c in cells.items() if c.read is not None]
        out.append(r.model_copy(update={"flags": [*(r.flags or []), *looked]}) if looked else r)
    return out
