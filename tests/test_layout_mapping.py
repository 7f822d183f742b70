"""The model as a layout mapper (mock endpoint): it sees a header block, returns a kind and
one role per column; the grid reader reads every cell; the mapping is checked, stored, and
the next table with that header is read with no call. A mapping that fails its checks is
asked once more, then the table is pending with the reasons."""

from __future__ import annotations

from pathlib import Path

from mockllm import mock_model
from pdfmaker import draw_table, new_pdf, save, write_text

from extractor.extract.llm import prompts
from extractor.extract.strategies import Model
from extractor.layouts import Layout, LayoutBook, header_block, read_layouts, write_layouts
from extractor.pipeline import analyse, extract

# A table the rules do not know: no title names its kind, the header words are not theirs.
ROWS = [
    ["功能科目", "本年数", "人头经费", "专项经费"],
    ["合计", "1,557.33", "1,196.33", "361.00"],
    ["2040601 行政运行", "1,196.33", "1,196.33", ""],
    ["2040602 一般行政管理事务", "361.00", "", "361.00"],
]


def _pdf(tmp_path: Path, name: str, pages: int = 1) -> Path:
    doc = new_pdf()
    for _ in range(pages):
        page = doc.new_page(width=842, height=595)
        write_text(page, 300, 50, "附件三 科室经费", size=14)
        write_text(page, 700, 80, "单位：万元")
        draw_table(page, ROWS, [220, 90, 90, 90], top=90)
    return save(doc, tmp_path / name)


def _model(answers: list[dict], book: LayoutBook) -> tuple[Model, list[dict]]:
    return mock_model(answers, book)


GOOD = {"kind": "支出总表", "roles": ["label", "amount", "amount", "amount"]}
WRONG = {"kind": "支出总表", "roles": ["amount", "label", "amount", "amount"]}  # names mapped to amounts


def test_unknown_header_is_mapped_once_then_read_from_the_stored_layout(tmp_path: Path) -> None:
    book = LayoutBook(path=tmp_path / "cache" / "layouts" / "learned.json")
    analysis = analyse(_pdf(tmp_path, "a.pdf"))
    assert extract(analysis, "grid", None, book).pending  # the rules alone leave it pending
    model, seen = _model([GOOD], book)
    out = extract(analysis, "auto", model)
    assert len(seen) == 1
    got = [(i.table, i.code, i.name, i.values) for i in out.doc.line_items]
    assert got == [
        ("支出总表", None, "合计", {"本年数": "1557.33", "人头经费": "1196.33", "专项经费": "361.00"}),
        ("支出总表", "2040601", "行政运行", {"本年数": "1196.33", "人头经费": "1196.33", "专项经费": None}),
        ("支出总表", "2040602", "一般行政管理事务", {"本年数": "361.00", "人头经费": None, "专项经费": "361.00"}),
    ]
    sig = header_block(analysis.tables[0]).signature
    assert all(i.provenance.layout == sig for i in out.doc.line_items)
    assert out.mapped and out.mapped[0].signature == sig
    # what the model saw: the header block, not the whole table
    prompt = seen[0]["messages"][-1]["content"]
    assert "column 3: header '专项经费'" in prompt and "Draft:" in prompt
    assert len(prompt) < 600  # the header block and a draft, not the table
    # stored on disk, and a second document with that header needs no call, even with grid
    assert [x.signature for x in read_layouts(book.path)] == [sig]
    again = extract(analyse(_pdf(tmp_path, "b.pdf")), "grid", None, LayoutBook.load(tmp_path / "cache"))
    assert [i.name for i in again.doc.line_items] == [i.name for i in out.doc.line_items]
    assert not again.pending


def test_a_mapping_that_fails_its_checks_is_asked_again_then_left_pending(tmp_path: Path) -> None:
    book = LayoutBook(path=tmp_path / "learned.json")
    model, seen = _model([WRONG, GOOD], book)
    out = extract(analyse(_pdf(tmp_path, "a.pdf")), "auto", model)
    assert len(seen) == 2 and "does not fit the table" in seen[1]["messages"][-1]["content"]
    assert len(out.doc.line_items) == 3 and not out.pending
    model, seen = _model([WRONG, WRONG], LayoutBook(path=tmp_path / "other.json"))
    out = extract(analyse(_pdf(tmp_path, "c.pdf")), "auto", model)
    assert len(seen) == 2 and out.doc.line_items == []
    assert out.pending and "mapping failed its checks" in out.pending[0].reasons[0]
    assert not (tmp_path / "other.json").exists()  # nothing learned from a failed mapping


def test_layouts_round_trip_and_merge(tmp_path: Path) -> None:
    a = Layout(signature="s1", columns=["科目", "金额"], kind="其他", roles=["label", "amount"], source="person")
    write_layouts(tmp_path / "x.json", [a])
    book = LayoutBook(path=tmp_path / "book.json")
    assert book.merge(read_layouts(tmp_path / "x.json")) == (1, 0)
    assert book.find("s1") == a and read_layouts(tmp_path / "book.json") == [a]


def test_default_model_maps_an_unknown_header_then_no_call(model, tmp_path: Path) -> None:  # noqa: ANN001
    """The default embedded model (recorded): the unknown table is read exactly under its
    mapping, and a second document with that header is read with no model call."""

    model.prompts["layout"] = prompts.load("layout", "v3")
    model.layouts = LayoutBook(path=tmp_path / "cache" / "layouts" / "learned.json")
    out = extract(analyse(_pdf(tmp_path, "a.pdf")), "auto", model)
    got = [(i.code, i.name, i.values) for i in out.doc.line_items]
    assert got == [
        (None, "合计", {"本年数": "1557.33", "人头经费": "1196.33", "专项经费": "361.00"}),
        ("2040601", "行政运行", {"本年数": "1196.33", "人头经费": "1196.33", "专项经费": None}),
        ("2040602", "一般行政管理事务", {"本年数": "361.00", "人头经费": None, "专项经费": "361.00"}),
    ]
    calls = model.client.ledger.run.calls
    again = extract(analyse(_pdf(tmp_path, "b.pdf")), "auto", model)
    assert model.client.ledger.run.calls == calls and not again.pending
    assert [i.values for i in again.doc.line_items] == [i.values for i in out.doc.line_items]
