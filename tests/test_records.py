import json

import pytest
from pydantic import ValidationError

from extractor.records import ContractFile, Indicator, LineItem, Provenance, Status, dumps_contract

CONTRACT = {
    "document": {
        "file": "jiangyou-2024.pdf",
        "sha256": "ab" * 32,
        "department": "江油市司法局",
        "year": 2024,
        "doc_type": "部门预算",
    },
    "line_items": [
        {
            "table": "支出总表",
            "code": "2040601",
            "name": "行政运行",
            "values": {"合计": "1157.59", "基本支出": "1157.59", "项目支出": None},
            "unit": "万元",
            "page": 2,
        },
        {"table": "收支总表", "code": None, "name": "收入总计", "values": {"收入/预算数": "1777.33"}, "unit": "万元", "page": 1},
    ],
    "indicators": [
        {
            "scope": "项目",
            "project": "党建活动经费",
            "level1": "产出指标",
            "level2": "数量指标",
            "name": "购买图书",
            "operator": "=",
            "value": "4",
            "unit": "批次",
            "weight": "5",
            "direction": None,
            "page": 7,
        }
    ],
}


def test_contract_round_trips_unchanged() -> None:
    model = ContractFile.model_validate(CONTRACT)
    assert json.loads(model.to_json()) == CONTRACT


def test_partial_gold_and_extra_keys_round_trip() -> None:
    data = json.loads(json.dumps(CONTRACT))
    data["document"]["labelled"] = {"tables": ["支出总表"], "indicators": False}
    data["document"]["producer"] = {"tool": "other"}
    data["line_items"][0]["note"] = "kept"
    assert json.loads(ContractFile.model_validate(data).to_json()) == data


def test_provenance_and_status_sit_beside_the_contract_fields() -> None:
    item = LineItem.model_validate(CONTRACT["line_items"][0])
    item.provenance = Provenance.model_validate(
        {"chunk_id": "p2-t1", "method": "grid", "page": 2, "box": [10, 20, 300, 32],
         "cells": {"values.合计": {"page": 2, "box": [200, 20, 240, 32], "text": "1,157.59"}}}
    )
    item.status = Status.ok
    dumped = item.model_dump(mode="json")
    assert dumped["provenance"]["cells"]["values.合计"]["text"] == "1,157.59"
    assert dumped["status"] == "ok"
    assert {k: v for k, v in dumped.items() if k not in ("provenance", "status")} == CONTRACT["line_items"][0]


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("values", {"合计": 1157.59}),  # a float, never allowed
        ("values", {"合计": "1,157.59"}),  # separators must be gone
        ("code", "20406a"),
        ("table", "支出明细表"),
        ("unit", "美元"),
        ("page", 0),
    ],
)
def test_line_item_rejects(field: str, bad: object) -> None:
    data = dict(CONTRACT["line_items"][0], **{field: bad})
    with pytest.raises(ValidationError):
        LineItem.model_validate(data)


@pytest.mark.parametrize(("field", "bad"), [("operator", "≈"), ("scope", "单位"), ("weight", "五"), ("direction", "上")])
def test_indicator_rejects(field: str, bad: object) -> None:
    with pytest.raises(ValidationError):
        Indicator.model_validate(dict(CONTRACT["indicators"][0], **{field: bad}))


def test_dump_is_one_record_a_line() -> None:
    text = dumps_contract(CONTRACT)
    lines = text.splitlines()
    assert len(lines) == 1 + 1 + 2 + 1 + 1 + 1 + 1  # document, [, 2 items, ], [, 1 indicator, ]
    assert json.loads(text) == CONTRACT
    assert '"行政运行"' in text  # UTF-8, not \u escapes
