"""The scorer on hand-made pairs with known figures, on every gold file against itself and
perturbed copies, and against an independent scorer written from records-format.md."""

from __future__ import annotations

import copy
import json
import random
import re
from decimal import Decimal

import pytest

from conftest import GOLD
from extractor.evaluation.goldfree import gold_free
from extractor.evaluation.score import score_document

GOLD_FILES = sorted(GOLD.glob("*.json"))


def doc(line_items=(), indicators=(), labelled=None) -> dict:
    d = {"document": {"file": "x.pdf", "sha256": "0" * 64}, "line_items": list(line_items),
         "indicators": list(indicators)}
    if labelled is not None:
        d["document"]["labelled"] = labelled
    return d


def li(name, values, table="支出总表", code=None, unit="万元", page=1) -> dict:
    return {"table": table, "code": code, "name": name, "values": values, "unit": unit, "page": page}


def ind(name, value, project=None, **kw) -> dict:
    base = {"scope": "项目" if project else "部门整体", "project": project, "level1": "产出指标", "level2": "数量指标",
            "name": name, "operator": "=", "value": value, "unit": "人", "weight": None, "direction": None, "page": 3}
    return {**base, **kw}


def figures(s) -> tuple:
    return s.overall.correct, s.overall.predicted, s.overall.gold


# --- hand-made pairs ------------------------------------------------------------------

def test_empty_cells_are_not_cells() -> None:
    gold = doc([li("合计", {"合计": "10", "基本支出": None})])
    assert figures(score_document(gold, doc([li("合计", {"合计": "10", "基本支出": None})]))) == (2, 2, 2)
    s = score_document(gold, doc([li("合计", {"合计": "10", "基本支出": "0.00"})]))  # spurious 0.00
    assert figures(s) == (2, 3, 2)
    assert s.overall.precision == pytest.approx(2 / 3) and s.overall.recall == 1.0
    s = score_document(gold, doc([li("合计", {"合计": None, "基本支出": None})]))  # value lost
    assert figures(s) == (1, 1, 2) and s.overall.f1 == pytest.approx(2 / 3)


def test_amounts_compare_in_wan_across_units() -> None:
    gold = doc([li("行政运行", {"合计": "1157.59"}, code="2040601")])
    same = doc([li("行政运行", {"合计": "1157.590"}, code="2040601")])
    assert score_document(gold, same).overall.f1 == 1.0
    yuan = doc([li("行政运行", {"合计": "11575900"}, code="2040601", unit="元")])
    s = score_document(gold, yuan)
    assert figures(s) == (1, 2, 2)  # the amount is right in 万元, the unit cell is wrong
    assert s.by_column["values.合计"].f1 == 1.0 and s.by_column["unit"].f1 == 0.0
    qian = doc([li("行政运行", {"合计": "11575.9"}, code="2040601", unit="千元")])
    assert figures(score_document(gold, qian)) == (1, 2, 2)
    off = doc([li("行政运行", {"合计": "1157.58"}, code="2040601")])
    assert figures(score_document(gold, off)) == (1, 2, 2)


def test_names_and_headers_normalised() -> None:
    gold = doc([li("(一)行政运行", {"基本支出/人员经费": "1"})])
    pred = doc([li("（一） 行政\u3000运行", {"基本支出 / 人员经费": "1"})])
    assert score_document(gold, pred).overall.f1 == 1.0


def test_repeated_keys_pair_in_document_order() -> None:
    gold = doc([li("合计", {"合计": "1"}), li("合计", {"合计": "2"}), li("合计", {"合计": "3"})])
    assert score_document(gold, copy.deepcopy(gold)).overall.f1 == 1.0
    swapped = doc([li("合计", {"合计": "2"}), li("合计", {"合计": "1"}), li("合计", {"合计": "3"})])
    assert figures(score_document(gold, swapped)) == (4, 6, 6)  # 2 amounts wrong, units right
    fewer = doc([li("合计", {"合计": "1"}), li("合计", {"合计": "2"})])
    s = score_document(gold, fewer)
    assert figures(s) == (4, 4, 6) and s.rows_gold == 3 and s.rows_found == 2


def test_missing_row_costs_only_its_own_cells() -> None:
    rows = [li(n, {"合计": str(i), "基本支出": str(i)}, code=c) for i, (n, c) in
            enumerate([("一般公共服务", "201"), ("行政运行", "2010101"), ("机关服务", "2010102"), ("其他", "2010199")])]
    gold = doc(rows)
    s = score_document(gold, doc(rows[:1] + rows[2:]))  # the second row is missing
    assert figures(s) == (9, 9, 12)
    assert s.overall.precision == 1.0 and s.overall.recall == pytest.approx(0.75)
    assert s.row_recall == pytest.approx(0.75)


def test_extra_row_costs_precision_only() -> None:
    rows = [li("A", {"合计": "1"}), li("B", {"合计": "2"})]
    s = score_document(doc(rows), doc([rows[0], li("spurious", {"合计": "9"}), rows[1]]))
    assert figures(s) == (4, 6, 4)
    assert s.overall.recall == 1.0 and s.overall.precision == pytest.approx(4 / 6)
    assert s.overall.f1 == pytest.approx(2 * (4 / 6) / (1 + 4 / 6))


def test_partial_gold_counts_only_labelled_tables() -> None:
    gold = doc([li("合计", {"合计": "5"})], [ind("培训人数", "30")],
               labelled={"tables": ["支出总表"], "indicators": False})
    pred = doc([li("合计", {"合计": "5"}), li("合计", {"合计": "7"}, table="收入总表")],
               [ind("培训人数", "31"), ind("乱码", "1")])
    s = score_document(gold, pred)
    assert figures(s) == (2, 2, 2) and set(s.by_table) == {"支出总表"}
    gold["document"]["labelled"]["indicators"] = True
    s = score_document(gold, pred)
    assert (s.by_table["指标"].correct, s.by_table["指标"].predicted, s.by_table["指标"].gold) == (4, 10, 5)


def test_indicator_values_decimal_or_text() -> None:
    gold = doc([], [ind("满意度", "96", operator="≥", unit="%", weight="10"), ind("质量", "优良差", operator="定性")])
    pred = doc([], [ind("满意度", "96.0", operator="≥", unit="%", weight="10.00"),
                    ind("质量", "优良 差", operator="定性")])
    s = score_document(gold, pred)
    assert s.overall.f1 == 1.0
    assert s.by_column["indicator.value"].gold == 2 and "指标" in s.by_table


def test_empty_documents() -> None:
    assert score_document(doc(), doc()).overall.f1 == 1.0
    s = score_document(doc([li("A", {"合计": "1"})]), doc())
    assert figures(s) == (0, 0, 2) and s.overall.f1 == 0.0


def test_legacy_fields_kept() -> None:
    gold = doc([li("A", {"合计": "1"})], [ind("x", "1")])
    s = score_document(gold, copy.deepcopy(gold))
    assert set(s.by_field) >= {"values", "unit", "level1", "value"} and "指标" in s.by_table
    assert s.misses == []


# --- every gold file: itself, k changes, and the independent scorer --------------------

@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_gold_scores_one_against_itself(path) -> None:
    gold = json.loads(path.read_text(encoding="utf-8"))
    s = score_document(gold, copy.deepcopy(gold))
    assert s.overall.f1 == 1.0 and s.overall.correct == s.overall.gold > 0 and s.row_recall == 1.0


def _amount_cells(d: dict) -> list[tuple[int, str]]:
    return [(i, h) for i, r in enumerate(d["line_items"]) for h, v in r["values"].items() if v is not None]


@pytest.mark.parametrize("path", GOLD_FILES[:4], ids=lambda p: p.stem)
def test_k_changed_cells_give_exact_figures(path) -> None:
    gold = json.loads(path.read_text(encoding="utf-8"))
    n = score_document(gold, gold).overall.gold
    cells = _amount_cells(gold)
    if not cells:
        pytest.skip("no amounts")
    for k in (1, 5, 17):
        pred = copy.deepcopy(gold)
        for i, h in random.Random(k).sample(cells, min(k, len(cells))):
            pred["line_items"][i]["values"][h] = str(Decimal(pred["line_items"][i]["values"][h]) + 1)
        s = score_document(gold, pred)
        assert figures(s) == (n - k, n, n)
        assert s.overall.f1 == pytest.approx((n - k) / n) and len(s.misses) == k


# An independent scorer, from records-format.md alone (shares nothing with score.py).
_UNITS = {"万元": Decimal(1), "元": Decimal("0.0001"), "千元": Decimal("0.1")}
_NUM = re.compile(r"-?\d+(\.\d+)?")


def _text(s) -> str:
    folded = "".join(chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else c for c in str(s))
    return "".join(folded.split())


def _num_or_text(v):
    t = _text(v)
    return Decimal(t) if _NUM.fullmatch(t) else t


def reference_figures(gold: dict, pred: dict) -> tuple[float, float, float]:
    lab = gold["document"].get("labelled")
    tables = set(lab.get("tables") or []) if lab else None
    with_ind = bool(lab.get("indicators")) if lab else True

    def cells(d: dict) -> dict:
        out, seen = {}, {}
        for r in d.get("line_items", []):
            if tables is not None and r["table"] not in tables:
                continue
            key = ("L", r["table"], r["code"] or "", _text(r["name"]))
            n = seen[key] = seen.get(key, -1) + 1
            for h, v in r["values"].items():
                if v is not None:
                    out[key + (n, "v:" + _text(h))] = Decimal(_text(v)) * _UNITS[r["unit"]]
            if r["unit"] is not None:
                out[key + (n, "unit")] = r["unit"]
        for r in d.get("indicators", []) if with_ind else []:
            key = ("I", _text(r["project"] or ""), _text(r["name"]))
            n = seen[key] = seen.get(key, -1) + 1
            for f in ("level1", "level2", "operator", "value", "unit", "weight", "direction"):
                if r[f] is not None:
                    out[key + (n, f)] = _num_or_text(r[f]) if f in ("value", "weight") else _text(r[f])
        return out

    g, p = cells(gold), cells(pred)
    correct = sum(1 for k, v in g.items() if k in p and p[k] == v)
    precision = correct / len(p) if p else float(not g)
    recall = correct / len(g) if g else float(not p)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def perturb(gold: dict, seed: int) -> dict:
    """Rows dropped, added, reordered among repeats, values changed, nulled, re-unitised, text edited."""
    rng = random.Random(seed)
    pred = copy.deepcopy(gold)
    items, inds = pred["line_items"], pred["indicators"]
    for _ in range(min(3, len(items))):
        items.pop(rng.randrange(len(items)))
    for _ in range(2):
        if items:
            extra = copy.deepcopy(rng.choice(items))
            extra["name"] += "乙"
            items.insert(rng.randrange(len(items) + 1), extra)
    for r in rng.sample(items, min(8, len(items))):
        filled = [h for h, v in r["values"].items() if v is not None]
        if not filled:
            continue
        h = rng.choice(filled)
        action = rng.randrange(4)
        if action == 0:
            r["values"][h] = str(Decimal(r["values"][h]) + Decimal("0.01"))
        elif action == 1:
            r["values"][h] = None
        elif action == 2 and r["unit"] == "万元":
            r["unit"] = "元"
            r["values"] = {k: None if v is None else str(Decimal(v) * 10000) for k, v in r["values"].items()}
        else:
            r["values"][h] = r["values"][h] + "0" if "." in r["values"][h] else r["values"][h] + ".0"
    for r in rng.sample(inds, min(6, len(inds))):
        f = rng.choice(["level1", "value", "unit", "operator", "weight", "name"])
        r[f] = None if f != "name" and rng.random() < 0.3 else (str(r.get(f) or "") + "x")
    if inds:
        inds.pop(rng.randrange(len(inds)))
    return pred


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_independent_scorer_agrees(path) -> None:
    gold = json.loads(path.read_text(encoding="utf-8"))
    for seed in (1, 2, 3):
        pred = perturb(gold, seed)
        o = score_document(gold, pred).overall
        ref = reference_figures(gold, pred)
        assert (round(o.precision, 4), round(o.recall, 4), round(o.f1, 4)) == tuple(round(x, 4) for x in ref)
        assert o.f1 < 1.0


# --- gold-free ---------------------------------------------------------------------------

def test_gold_free_on_a_gold_file() -> None:
    g = gold_free(json.loads((GOLD / "corpus-putuo-sifa-2026.json").read_text(encoding="utf-8")))
    assert g.error is None and g.tables.checked > 0 and g.cells.checked > 0
    assert 0.0 <= g.cells.share <= 1.0


def test_gold_free_is_na_when_the_reconciler_raises(monkeypatch) -> None:
    from extractor.evaluation import goldfree

    def boom(doc):
        raise RuntimeError("reconciler under construction")

    monkeypatch.setattr(goldfree, "_identities", boom)
    g = gold_free(doc([li("A", {"合计": "1"})]))
    assert g.error and g.as_dict()["cells"] is None
