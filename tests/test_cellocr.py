"""Reading a ruled scan cell by cell: text lines from the ink, and the second look at one-glyph cells."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from extractor.read import cellocr
from extractor.read.cellocr import Reading
from extractor.read.ocr import Recognised

LINE_H = 20.0


def page(w: int = 400, h: int = 300) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("L", (w, h), 235)
    return img, ImageDraw.Draw(img)


def bar(d: ImageDraw.ImageDraw, x0: int, y0: int, x1: int, y1: int) -> None:
    d.rectangle((x0, y0, x1, y1), fill=40)


def draw_eq(d: ImageDraw.ImageDraw, x: int, y: int) -> None:
    bar(d, x, y + 6, x + 12, y + 7)
    bar(d, x, y + 12, x + 12, y + 13)


def draw_ge(d: ImageDraw.ImageDraw, x: int, y: int) -> None:
    d.line((x, y + 2, x + 12, y + 7), fill=40, width=2)
    d.line((x + 12, y + 7, x, y + 12), fill=40, width=2)
    bar(d, x, y + 16, x + 12, y + 17)


def draw_lt(d: ImageDraw.ImageDraw, x: int, y: int) -> None:
    d.line((x + 12, y + 2, x, y + 9), fill=40, width=2)
    d.line((x, y + 9, x + 12, y + 16), fill=40, width=2)


def test_lines_in_a_cell_are_its_ink_rows_and_rules_are_not_text():
    img, d = page()
    d.rectangle((10, 10, 210, 90), outline=30, width=2)  # the cell's ruling lines
    bar(d, 20, 20, 150, 36)  # line 1
    bar(d, 20, 50, 120, 66)  # line 2
    d.point((180, 80), fill=60)  # a speck of dust
    gray = np.asarray(img)
    bands = cellocr.lines_in_cell(gray, (10, 10, 211, 91), LINE_H, 140)
    assert [(b.x0, b.y0, b.x1, b.y1) for b in bands] == [(20, 20, 151, 37), (20, 50, 121, 67)]


def test_the_two_bars_of_an_equals_sign_are_one_line():
    img, d = page()
    draw_eq(d, 50, 40)
    bands = cellocr.lines_in_cell(np.asarray(img), (30, 30, 100, 80), LINE_H, 140)
    assert len(bands) == 1 and bands[0].height == 8


def test_an_empty_cell_has_no_line():
    img, _ = page()
    assert cellocr.lines_in_cell(np.asarray(img), (30, 30, 100, 80), LINE_H, 140) == []


def test_text_outside_cells_is_cut_at_wide_gaps():
    img, d = page()
    bar(d, 20, 20, 120, 36)  # "部门：…" left
    bar(d, 300, 20, 380, 36)  # "单位：万元" right, far away
    bar(d, 20, 60, 200, 76)
    bands = cellocr.lines_in_cell(np.asarray(img), (0, 0, 400, 300), LINE_H, 140, inset=0, split=1.5 * LINE_H)
    assert [(b.x0, b.x1, b.y0) for b in bands] == [(20, 121, 20), (300, 381, 20), (20, 201, 60)]


def test_crop_is_at_least_a_line_tall_around_a_small_glyph():
    img, d = page()
    draw_eq(d, 50, 40)
    gray = np.asarray(img)
    band = cellocr.lines_in_cell(gray, (30, 30, 100, 80), LINE_H, 140)[0]
    crop = cellocr.crop(gray, band, LINE_H)
    assert crop.shape[2] == 3 and crop.shape[0] >= LINE_H and crop.shape[1] >= LINE_H


def test_ink_threshold_sits_between_paper_and_a_faded_scans_ink():
    gray = np.full((200, 200), 225, np.uint8)
    gray[50:60, 20:180] = 160  # faded toner
    t = cellocr.ink_threshold(gray)
    assert 160 < t < 225


def _column(draws: list, texts: list[tuple[str, float]]) -> list[Reading]:
    """One column of one-glyph cells drawn with `draws`, read as `texts`."""
    img, d = page(100, 40 * len(draws) + 20)
    for k, draw in enumerate(draws):
        draw(d, 40, 10 + 40 * k)
    gray = np.asarray(img)
    out = []
    for k, (text, conf) in enumerate(texts):
        cell = (20, 40 * k, 80, 40 * k + 40)
        band = cellocr.lines_in_cell(gray, cell, LINE_H, 140)[0]
        out.append(Reading(band, cell, text, conf, cellocr.glyph_patch(gray, band, LINE_H)))
    return out


def test_second_look_reads_a_doubtful_glyph_as_the_glyph_its_column_prints_clearly():
    readings = _column(
        [draw_ge, draw_ge, draw_eq, draw_eq, draw_ge, draw_eq],
        [("≥", 0.99), ("≥", 0.97), ("=", 0.98), ("=", 0.95), ("2", 0.41), ("排", 0.36)],
    )
    looked = cellocr.second_look(readings)
    assert [r.text for r in looked] == ["≥", "≥", "=", "=", "≥", "="]
    assert looked[4].first == "2" and looked[5].first == "排"
    assert looked[0].first is None


def test_second_look_merges_a_glyph_read_under_two_texts():
    # a blurred ≥ read "2" with confidence now and then: the same image, one glyph
    readings = _column(
        [draw_ge, draw_ge, draw_ge, draw_ge, draw_eq, draw_eq],
        [("≥", 0.99), ("≥", 0.97), ("2", 0.95), ("2", 0.93), ("=", 0.98), ("=", 0.96)],
    )
    looked = cellocr.second_look(readings)
    assert [r.text for r in looked] == ["≥", "≥", "≥", "≥", "=", "="]


def test_second_look_leaves_a_glyph_no_clear_cell_shows():
    readings = _column(
        [draw_ge, draw_ge, draw_eq, draw_eq, draw_lt],
        [("≥", 0.99), ("≥", 0.97), ("=", 0.98), ("=", 0.95), ("ζ", 0.15)],
    )
    looked = cellocr.second_look(readings)
    assert looked[4].text == "ζ" and looked[4].first is None


def test_second_look_needs_two_clear_glyphs_of_a_kind():
    readings = _column([draw_ge, draw_ge], [("≥", 0.99), ("2", 0.4)])
    assert [r.text for r in cellocr.second_look(readings)] == ["≥", "2"]


def test_second_look_pools_a_column_across_pages():
    # the same column continued: cells 3 pixels apart on the next page are one column
    first = _column([draw_ge, draw_ge], [("≥", 0.99), ("≥", 0.98)])
    nxt = [r.shifted(3) for r in _column([draw_ge], [("2", 0.5)])]
    looked = cellocr.second_look(first + nxt)
    assert looked[2].text == "≥"


SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def test_read_pdf_reads_pages_in_order_on_threads_and_the_same_as_on_one():
    pytest.importorskip("rapidocr")
    from extractor.read.pdf import OcrOptions, read_pdf

    seen: list[tuple[int, bool]] = []
    pdf = SAMPLES / "004_scan.pdf"
    two = read_pdf(pdf, ocr=OcrOptions(threads=2), on_page=lambda n, ocr: seen.append((n, ocr)))
    one = read_pdf(pdf, ocr=OcrOptions(threads=1))
    assert seen == [(p.number, True) for p in two.pages] and [n for n, _ in seen] == list(range(1, 6))
    assert [[w.text for w in p.words] for p in two.pages] == [[w.text for w in p.words] for p in one.pages]
    assert all(p.source == "ocr" for p in two.pages)


def test_a_speck_off_the_text_is_dust_not_a_character():
    img, d = page()
    bar(d, 20, 20, 80, 36)  # the figure
    bar(d, 110, 27, 111, 28)  # a 2×2 speck half a line after it
    bands = cellocr.lines_in_cell(np.asarray(img), (10, 10, 200, 60), LINE_H, 140)
    assert [(b.x0, b.x1) for b in bands] == [(20, 81)]


def test_a_cell_holding_only_a_speck_is_empty_and_a_dash_is_not():
    img, d = page()
    bar(d, 40, 30, 42, 32)  # a 3×3 speck alone
    bar(d, 140, 30, 150, 31)  # a dash: wide and thin
    gray = np.asarray(img)
    assert cellocr.lines_in_cell(gray, (20, 15, 100, 50), LINE_H, 140) == []
    assert len(cellocr.lines_in_cell(gray, (120, 15, 200, 50), LINE_H, 140)) == 1


def _reader(crops: list[np.ndarray]) -> list[Recognised]:
    """A stand-in recogniser: little ink is a speck read doubtfully as "1", more is text."""
    return [Recognised("1", 0.3) if int((c[:, :, 0] < 140).sum()) < 30 else Recognised("text", 0.99) for c in crops]


def test_a_speck_beside_a_cells_text_is_dropped_and_a_lone_short_glyph_kept() -> None:
    img, d = page(400, 200)
    bar(d, 20, 20, 120, 36)  # a label's line of text
    bar(d, 24, 44, 27, 47)  # a speck on a line of its own below it
    draw_eq(d, 220, 20)  # a lone "=" in its own cell: short, but the cell's only line
    bar(d, 300, 150, 303, 153)  # a speck outside the cells
    bar(d, 300, 30, 303, 33)  # a speck alone in an empty cell
    cells = [(10, 10, 180, 60), (200, 10, 260, 60), (280, 10, 340, 60)]
    for x in (10, 100, 190, 280):  # a row of figures below: the page's lines are 17 px tall
        bar(d, x + 10, 80, x + 60, 96)
        cells.append((x, 70, x + 80, 110))
    readings = cellocr.read_cells(np.asarray(img), cells, [(10, 10, 360, 110)], _reader, lambda _: [])
    assert [(r.text, r.cell[0]) for r in readings] == [("text", x) for x in (10, 200, 10, 100, 190, 280)]


def test_line_height_is_the_texts_not_the_dust_of_a_blank_half_sheet() -> None:
    img, d = page(1100, 1600)  # half an A4 sheet at 200 dpi
    for k in range(100):  # dust: 5 px blobs all over
        x, y = 13 + (k * 37) % 1060, 11 + (k * 53) % 1560
        bar(d, x, y, x + 4, y + 4)
    for y in (100, 300, 500):
        bar(d, 100, y, 400, y + 23)  # three lines of text 24 px tall
    gray = np.asarray(img)
    assert cellocr.line_height(gray, [], cellocr.ink_threshold(gray)) >= 20


def test_a_cell_spanning_smaller_cells_does_not_read_their_text_again() -> None:
    """Where a grid's faint rules were found in part, a cell spans the cells it should
    have been cut into: each line is read once, in the smallest cell that holds it."""
    img, d = page()
    bar(d, 40, 40, 120, 55)  # a line inside the small cell
    bar(d, 200, 40, 260, 55)  # a line only the big cell holds
    gray = np.asarray(img)
    big, small = (10, 10, 390, 100), (20, 20, 150, 80)
    seen: list[int] = []

    def recognise(crops):
        seen.extend(c.shape[1] for c in crops)
        return [Recognised("字", 0.99)] * len(crops)

    readings = cellocr.read_cells(gray, [big, small], [(10, 10, 390, 100)], recognise, lambda image: [])
    assert sorted((r.cell, r.band.x0) for r in readings) == [(big, 200), (small, 40)]


def test_a_sliver_of_the_cells_own_rule_is_not_a_one_and_a_one_is() -> None:
    """A grid found a point off its faint rule leaves a sliver of the rule inside the cell
    (read "1" in every empty cell of a column); a figure's stroke is wider, or further in."""
    img, d = page()
    bar(d, 196, 30, 197, 45)  # 2 px of the right rule, inside the cell box
    gray = np.asarray(img)
    assert cellocr.lines_in_cell(gray, (10, 10, 201, 91), LINE_H, 140) == []
    img, d = page()
    bar(d, 186, 30, 190, 45)  # a "1" set against the right side: 5 px wide
    [one] = cellocr.lines_in_cell(np.asarray(img), (10, 10, 201, 91), LINE_H, 140)
    assert (one.x0, one.x1) == (186, 191)
    img, d = page()
    bar(d, 120, 30, 121, 45)  # a thin stroke away from the sides stays
    [stroke] = cellocr.lines_in_cell(np.asarray(img), (10, 10, 201, 91), LINE_H, 140)
    assert (stroke.x0, stroke.x1) == (120, 122)


def test_a_lone_blot_read_doubtfully_as_a_chinese_character_is_dust() -> None:
    """A faded page's empty amount cell: a 5×11 pixel blot read 阿 at 0.18 on a page whose
    lines are 20 pixels tall. A Chinese character is about as wide as the line is tall."""
    assert cellocr._speck(cellocr.Band(980, 429, 985, 440), "阿", 0.18, 20.0, alone=True)
    assert not cellocr._speck(cellocr.Band(0, 0, 18, 19), "是", 0.4, 20.0, alone=True)  # a whole character
    assert not cellocr._speck(cellocr.Band(0, 0, 5, 11), "1", 0.4, 20.0, alone=True)  # a narrow figure
    assert not cellocr._speck(cellocr.Band(0, 0, 5, 11), "阿", 0.9, 20.0, alone=True)  # read surely
    assert not cellocr._speck(cellocr.Band(0, 0, 16, 8), "二", 0.3, 20.0, alone=True)  # a lone "=" read 二
    assert not cellocr._speck(cellocr.Band(0, 0, 7, 7), "菜", 0.08, 17.0, alone=True)  # a small "=" read 菜
