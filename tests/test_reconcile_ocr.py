"""OCR slips the arithmetic pins down: the new misreadings, repairs of several cells at once,
and the cases where the reconciler must not guess (ambiguous, one identity, text layer)."""

from __future__ import annotations

import random

import pytest

from extractor.reconcile import Misreading, reconcile
from extractor.reconcile.cells import CellKey
from extractor.reconcile.misreadings import (
    decimal_points,
    digit_confusions,
    doubled_digits,
    dropped_digits,
    separators,
)
from extractor.reconcile.synthetic import OCR_KINDS, corrupt, document
from extractor.records import CellSource, ContractFile, Document, LineItem, Provenance, Status

B, P = "基本支出", "项目支出"


def li(table: str, code: str | None, name: str, *, ocr: bool | None = True, texts: dict[str, str] | None = None,
       unit: str = "万元", **values: str | None) -> LineItem:
    """A row whose every cell carries its printed text: read by OCR (`ocr`), from a text layer
    (`ocr=False`), or no provenance at all (`ocr=None`); `texts` overrides a cell's text."""
    vals = {k.replace("__", "/"): v for k, v in values.items()}
    prov = None
    if ocr is not None:
        cells = {f"values.{k}": CellSource(page=1, text=(texts or {}).get(k, v or "")) for k, v in vals.items()}
        prov = Provenance(method="grid", page=1, cells=cells, **({"source": "ocr"} if ocr else {}))
    return LineItem(table=table, code=code, name=name, values=vals, unit=unit, page=1, provenance=prov)  # type: ignore[arg-type]


def doc(*items: LineItem) -> ContractFile:
    return ContractFile(document=Document(file="t.pdf", sha256="0" * 64, department="测试局", year=2024,
                                          doc_type="部门预算"), line_items=list(items), indicators=[])


# 支出总表 as printed: every figure is checked by its row (合计 = 基本 + 项目) and its column
# (the 款 row = Σ its 项 rows; 类 and 合计 repeat the 款).
ROWS = [
    (None, "合计", "1598316.88", "1097274.68", "501042.20"),
    ("204", "公共安全支出", "1598316.88", "1097274.68", "501042.20"),
    ("20406", "司法", "1598316.88", "1097274.68", "501042.20"),
    ("2040601", "行政运行", "1597073.43", "1097073.43", "500000.00"),
    ("2040602", "一般行政管理事务", "1243.45", "201.25", "1042.20"),
]


def table(changes: dict[tuple[int, str], str | None] | None = None, ocr: bool | None = True,
          texts: dict[tuple[int, str], str] | None = None, rows=ROWS) -> list[LineItem]:
    items = []
    for n, (code, name, total, basic, project) in enumerate(rows):
        vals = {"合计": total, B: basic, P: project}
        vals.update({h: v for (m, h), v in (changes or {}).items() if m == n})
        own = {h: t for (m, h), t in (texts or {}).items() if m == n}
        items.append(li("支出总表", code, name, ocr=ocr, texts=own, **vals))
    return items


def value(result, index: int, header: str) -> str | None:
    return result.document.line_items[index].values[header]


# --- the misreadings, run backwards ------------------------------------------------------------

def test_new_misreading_generators() -> None:
    assert "1097073.43" in dropped_digits("107073.43") and "1097073.43" in dropped_digits("1097073.3")
    assert "01.5" not in dropped_digits("1.5") and "-01.5" not in dropped_digits("-1.5")  # no leading zero
    assert doubled_digits("10970773.43") == {"1097073.43"} and doubled_digits("1.5") == set()
    assert separators("1.097.073.43") == {"1097073.43"} == separators("1.097,073.43")
    assert separators("1.097") == {"1097", "1.097"} and separators("1．097．073") >= {"1097073"}
    assert separators("1157.59") == set() and separators("12.3456.78") == set()  # not thousands groups
    assert "1097073.43" in decimal_points("109707343")
    # 3↔8, 1↔7, 0↔6↔9 (every pair), 5↔6
    pairs = {(a, b) for a in "0123456789" for b in digit_confusions(a)}
    assert pairs == {("3", "8"), ("8", "3"), ("1", "7"), ("7", "1"), ("0", "6"), ("6", "0"), ("0", "9"),
                     ("9", "0"), ("6", "9"), ("9", "6"), ("5", "6"), ("6", "5")}


# --- each new slip restored ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("read", "text", "kind"),
    [
        ("109707343", None, Misreading.decimal_point),  # point lost: the table prints two decimals
        ("10970734.3", None, Misreading.decimal_point),  # point moved
        ("107073.43", None, Misreading.dropped_digit),
        ("10970773.43", None, Misreading.doubled_digit),
        ("1067073.43", None, Misreading.digit_confusion),  # 9 read as 6
        ("1097078.43", None, Misreading.digit_confusion),  # 3 read as 8
        (None, "1.097.073.43", Misreading.separator),  # not an amount: the reader kept the text only
        (None, "1.097,073.43", Misreading.separator),
    ],
)
def test_ocr_slip_restored(read: str | None, text: str | None, kind: Misreading) -> None:
    texts = {(3, B): text} if text is not None else None
    r = reconcile(doc(*table({(3, B): read}, texts=texts)))
    (fix,) = r.corrections
    assert (fix.old, fix.new, fix.kind) == (read, "1097073.43", kind)
    assert value(r, 3, B) == "1097073.43" and r.document.line_items[3].status is Status.corrected
    assert len(fix.identities) >= 2 and r.totals.violated == 0


def test_a_lost_last_digit_is_checked_at_the_tables_precision() -> None:
    # "201.2" among x.xx is no figure rounded to a dime: at a cent, the 0.05 shows
    r = reconcile(doc(*table({(4, B): "201.2"})))
    (fix,) = r.corrections
    assert (fix.old, fix.new, fix.kind) == ("201.2", "201.25", Misreading.dropped_digit)
    # a lost 3 is a gap of rounding size even so: kept, and reported as such
    r = reconcile(doc(*table({(3, B): "1097073.4"})))
    assert not r.corrections and r.conflicts[0].reason.startswith("rounding-sized")


def test_separator_in_a_whole_yuan_table() -> None:
    rows = [(None, "合计", "3097", "1097", "2000"), ("204", "公共安全支出", "3097", "1097", "2000"),
            ("2040601", "行政运行", "3097", "1097", "2000")]
    items = [li("支出总表", c, n, unit="元", 合计=t, 基本支出=b, 项目支出=p) for c, n, t, b, p in rows]
    items[2] = li("支出总表", "2040601", "行政运行", unit="元", 合计="3097", 基本支出="1.097", 项目支出="2000")
    (fix,) = reconcile(doc(*items)).corrections  # "1,097" read "1.097": an amount, a thousand times too small
    assert (fix.old, fix.new, fix.kind) == ("1.097", "1097", Misreading.separator)


def test_a_digit_read_twice_after_the_point_is_fixed_by_the_tables_precision() -> None:
    # "1097073.433" is within rounding of every sum, but no other figure prints three decimals
    r = reconcile(doc(*table({(3, B): "1097073.433"})))
    (fix,) = r.corrections
    assert (fix.new, fix.kind) == ("1097073.43", Misreading.doubled_digit)


# --- several cells at once ----------------------------------------------------------------------

def test_two_misread_cells_repaired_together() -> None:
    r = reconcile(doc(*table({(3, B): "109707343", (4, P): "1642.20"})))  # a lost point and 0 read as 6
    assert {(c.ref.index, c.old, c.new) for c in r.corrections} == {(3, "109707343", "1097073.43"),
                                                                    (4, "1642.20", "1042.20")}
    by_id = {i.id: i for i in r.identities}
    for c in r.corrections:  # each keeps its proof: the identities of its cell, all holding now
        assert len(c.identities) >= 2 and all(by_id[i].holds for i in c.identities)
    assert r.totals.violated == 0 and not r.conflicts


def test_three_misread_cells_repaired_together() -> None:
    r = reconcile(doc(*table({(3, B): "109707343", (4, P): "1642.20", (4, "合计"): "12443.45"})))
    assert {(c.ref.index, c.new) for c in r.corrections} == {(3, "1097073.43"), (4, "1042.20"), (4, "1243.45")}
    assert r.totals.violated == 0


def test_two_equally_good_joint_repairs_are_a_conflict_with_both() -> None:
    # As printed: 10.00 | 16.00 in one row, 16.00 | 10.00 in the other. Read 16.00 four times,
    # the 0→6 slip is in the first row's 基本 and the second's 项目 — or in the other two.
    rows = [(None, "合计", "52.00", "26.00", "26.00"), ("204", "公共安全支出", "52.00", "26.00", "26.00"),
            ("20406", "司法", "52.00", "26.00", "26.00"), ("2040601", "行政运行", "26.00", "16.00", "16.00"),
            ("2040602", "一般行政管理事务", "26.00", "16.00", "16.00")]
    r = reconcile(doc(*table(rows=rows)))
    assert not r.corrections
    (conflict,) = r.conflicts
    assert conflict.status == "conflict" and "equally good repairs" in conflict.reason
    offered = {(c.ref.index, c.ref.field, c.new) for c in conflict.candidates}
    assert offered >= {(3, f"values.{B}", "10.00"), (4, f"values.{P}", "10.00"),
                       (3, f"values.{P}", "10.00"), (4, f"values.{B}", "10.00")}
    assert {r.document.line_items[i].status for i in (3, 4)} == {Status.conflict}


# --- when not to guess --------------------------------------------------------------------------

def test_a_slip_checked_by_one_identity_is_offered_not_applied() -> None:
    items = [li("支出总表", "2120101", "行政运行", 合计="1097273.43", 基本支出="109707343", 项目支出="200.00"),
             li("支出总表", "2130101", "行政运行", 合计="300.00", 基本支出="100.00", 项目支出="200.00")]
    r = reconcile(doc(*items))  # two rows, no 合计 row: each figure is checked by its row alone
    assert not r.corrections and value(r, 0, B) == "109707343"
    (conflict,) = r.conflicts
    assert [(c.old, c.new) for c in conflict.candidates] == [("109707343", "1097073.43")]
    assert "only one identity" in conflict.reason and r.document.line_items[0].status is Status.conflict


def test_a_text_layer_figure_is_never_changed() -> None:
    digital = reconcile(doc(*table({(3, B): "109707343"}, ocr=False)))  # printed so, on the page
    assert not digital.corrections and value(digital, 3, B) == "109707343"
    assert {c.status for c in digital.conflicts} == {"inconsistent"}
    # a scanned table whose row 2040601 came from a text layer: the lost point there is what
    # was printed, and no other figure may be bent to fit it
    items = table({(3, B): "109707343"}, ocr=True)
    items[3] = table({(3, B): "109707343"}, ocr=False)[3]
    r = reconcile(doc(*items))
    assert not r.corrections and value(r, 3, B) == "109707343"
    assert r.document.line_items[3].status is Status.inconsistent
    assert {r.document.line_items[i].status for i in (0, 1, 2, 4)} <= {Status.ok, Status.conflict}
    (fix,) = reconcile(doc(*table({(3, B): "109707343"}, ocr=True))).corrections  # the same, OCR'd
    assert fix.new == "1097073.43"


def test_a_fix_proven_by_its_identities_while_an_unrelated_one_stays_broken() -> None:
    # 收支总表 lost the "二、" of 教育支出, so 本年支出合计 sums the wrong rows; 支出总表's 201
    # total lost its point. The 201 fix makes its row, the table total and the cross-check hold.
    def row(name: str, key: str, v: str) -> LineItem:
        return li("收支总表", None, name, ocr=None, **{key: v})

    k1, k2 = "收入__预算数", "支出__预算数"
    items = [row("一、一般公共预算拨款收入", k1, "150.00"), row("一、一般公共服务支出", k2, "100.00"),
             row("本年收入合计", k1, "150.00"), row("教育支出", k2, "50.00"), row("收入总计", k1, "150.00"),
             row("本年支出合计", k2, "150.00"), row("支出总计", k2, "150.00"),
             li("支出总表", None, "合计", 合计="150.00", 基本支出="90.00", 项目支出="60.00"),
             li("支出总表", "201", "一般公共服务支出", 合计="10000", 基本支出="60.00", 项目支出="40.00"),
             li("支出总表", "205", "教育支出", 合计="50.00", 基本支出="30.00", 项目支出="20.00")]
    r = reconcile(doc(*items))
    (fix,) = r.corrections
    assert (fix.ref.index, fix.old, fix.new) == (8, "10000", "100.00") and len(fix.identities) == 3
    (left,) = r.conflicts
    assert left.status == "conflict" and [ref.index for ref in left.refs] == [1, 5]  # the misgrouped sum


# --- generated documents ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", OCR_KINDS)
def test_generated_ocr_slips_are_never_fixed_wrongly(kind: str) -> None:
    rng = random.Random(f"ocr:{kind}")
    restored = 0
    for _ in range(15):
        original = document(rng)
        made = corrupt(original, rng, kind)
        if made is None:
            continue
        bad, c = made
        r = reconcile(bad)
        for fix in r.corrections:
            assert fix.new == original.line_items[fix.ref.index].values[fix.ref.field[7:]]
        restored += all(value(r, k.index, k.field[7:]) == old for k, old, _ in c.changes)
    assert restored >= 8


def test_synthetic_separator_slip_keeps_the_text_as_the_reader_does() -> None:
    rng = random.Random(3)
    bad, c = corrupt(document(rng), rng, "separator")  # type: ignore[misc]
    ((key, old, new),) = c.changes
    item = bad.line_items[key.index]
    text = item.provenance.cells[key.field].text  # type: ignore[union-attr]
    assert new is None and "." in text and text.replace(".", "").replace(",", "") == old.replace(".", "")
    assert item.provenance.model_extra == {"source": "ocr"}  # type: ignore[union-attr]
    assert CellKey("L", key.index, key.field) == key
