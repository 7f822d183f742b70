"""JSON Schema files in `schemas/`, generated from the pydantic models: the contract
(records.py) and the whole output document (output.py).

`extractor schema --write` regenerates them; a test fails when they drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from extractor.output import OutputDocument
from extractor.records import ContractFile, Indicator, LineItem

SCHEMAS: dict[str, type[BaseModel]] = {
    "contract.schema.json": ContractFile,
    "line_item.schema.json": LineItem,
    "indicator.schema.json": Indicator,
    "output.schema.json": OutputDocument,
}


def render(model: type[BaseModel]) -> str:
    schema = model.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def rendered() -> dict[str, str]:
    return {name: render(model) for name, model in SCHEMAS.items()}


def write(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def drift(folder: Path) -> list[str]:
    """Names of schema files that are missing or differ from the models."""
    return [
        name
        for name, text in rendered().items()
        if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text
    ]
