"""Project names on OCR'd pages, checked against the names the document prints elsewhere.

A scan's indicator table may read 乡镇司法所经费 as 乡铺司法所经费 while the 项目支出表
reads it right. A project name that appears nowhere else, and differs in exactly one
character from exactly one project name the line items print, is that name; the record
is flagged `project_from_document`. Pure: records in, records out.
"""

from __future__ import annotations

from extractor.normalize import one_char_apart
from extractor.records import Indicator, LineItem


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
