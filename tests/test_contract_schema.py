import json

import jsonschema
import pytest

from conftest import GOLD, ROOT
from extractor import contract_schema
from extractor.records import ContractFile

SCHEMA_DIR = ROOT / "schemas"
GOLD_FILES = sorted(GOLD.glob("*.json"))


def test_schema_files_match_the_models() -> None:
    assert contract_schema.drift(SCHEMA_DIR) == [], "run `extractor schema --write`"


def test_drift_is_detected(tmp_path) -> None:
    contract_schema.write(tmp_path)
    assert contract_schema.drift(tmp_path) == []
    (tmp_path / "line_item.schema.json").write_text("{}", encoding="utf-8")
    assert contract_schema.drift(tmp_path) == ["line_item.schema.json"]


def test_there_are_gold_files() -> None:
    assert len(GOLD_FILES) >= 7


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_gold_validates_against_schema_and_models(path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads((SCHEMA_DIR / "contract.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    model = ContractFile.model_validate(data)
    assert json.loads(model.to_json()) == data
    assert model.line_items or model.indicators


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_gold_is_in_review_layout(path) -> None:
    """One record a line, as `python -m extractor.records fmt` writes it."""
    from extractor.records import dumps_contract

    text = path.read_text(encoding="utf-8")
    assert text == dumps_contract(json.loads(text))


def test_schema_rejects_a_float_amount() -> None:
    schema = json.loads((SCHEMA_DIR / "contract.schema.json").read_text(encoding="utf-8"))
    doc = {"document": {"file": "a.pdf", "sha256": "0" * 64}, "indicators": [],
           "line_items": [{"table": "支出总表", "code": None, "name": "合计", "values": {"合计": 1.5}, "unit": "万元", "page": 1}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)
