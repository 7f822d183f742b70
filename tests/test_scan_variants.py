"""Scans users meet: a page turned or upside down, skewed 3°, stamped with a red seal,
faded, two pages on one sheet. The image functions of extractor.read.scan on small
synthetic pages, the reader's turn check, and one variant sample read end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pymupdf
import pytest
from conftest import GOLD, SAMPLES
from PIL import Image, ImageFilter

from extractor.read import scan

DPI = 150
LABELS = ["一般公共服务支出", "公共安全支出", "社会保障和就业支出", "卫生健康支出", "机关事业单位基本养老保险缴费支出",
          "行政运行", "一般行政管理事务", "其他司法支出"]
AMOUNTS = ["1,557.33", "1,518.59", "121.73", "47.66", "89.36", "220.00", "1,777.33", "36.18"]


def _draw_page(page: pymupdf.Page, title: str = "一般公共预算支出预算表") -> None:
    """A budget page: a title, a unit line, a ruled table of labels and amounts, a note."""
    w = page.rect.width
    page.insert_text((w / 2 - 90, 60), title, fontname="china-s", fontsize=16)
    page.insert_text((w - 150, 84), "金额单位：万元", fontname="china-s", fontsize=10)
    x = [50, 110, w - 150, w - 50]
    top, row = 92, 22
    for r in range(len(LABELS) + 2):
        page.draw_line((x[0], top + r * row), (x[-1], top + r * row), width=0.6)
    for xx in x:
        page.draw_line((xx, top), (xx, top + (len(LABELS) + 1) * row), width=0.6)
    for i, (label, amount) in enumerate(zip(LABELS, AMOUNTS)):
        y = top + (i + 1) * row + 15
        page.insert_text((x[0] + 4, y), f"20{i + 1}0{i}", fontname="helv", fontsize=10)
        page.insert_text((x[1] + 4, y), label, fontname="china-s", fontsize=10)
        page.insert_text((x[3] - 4 - pymupdf.get_text_length(amount, "helv", 10), y), amount, fontname="helv", fontsize=10)
    note = "注：本表反映部门预算安排的一般公共预算支出，按功能分类科目列示。"
    for k in range(4):
        page.insert_text((50, top + (len(LABELS) + 2) * row + 20 + 18 * k), note, fontname="china-s", fontsize=10)


def _pdf_page(width: float = 595, height: float = 842) -> tuple[pymupdf.Document, pymupdf.Page]:
    doc = pymupdf.open()
    page = doc.new_page(width=width, height=height)
    _draw_page(page)
    return doc, page


def _gray(page: pymupdf.Page, dpi: int = DPI) -> np.ndarray:
    """The page as a scanner sees it: gray, soft edges, paper 248, toner 40."""
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    img = Image.frombytes("L", (pix.width, pix.height), pix.samples).filter(ImageFilter.GaussianBlur(0.6))
    return (40 + np.asarray(img, dtype=np.float32) * (208 / 255)).astype(np.uint8)


@pytest.fixture(scope="module")
def page_gray() -> np.ndarray:
    _, page = _pdf_page()
    return _gray(page)


# --------------------------------------------------------------------------- orientation


def test_quarter_turn_found_for_each_orientation(page_gray: np.ndarray) -> None:
    for k in range(4):
        turned = np.ascontiguousarray(np.rot90(page_gray, k))
        assert scan.quarter_turn(turned, DPI) == (k % 2 == 1), k
    # upright and upside down read the same way along the rows, clearly
    assert scan.text_direction(page_gray, DPI) > 0.5
    assert scan.text_direction(np.ascontiguousarray(page_gray[::-1, ::-1]), DPI) > 0.5


def test_blank_page_is_not_turned() -> None:
    blank = np.full((300, 200), 245, np.uint8)
    assert scan.text_direction(blank, DPI) == 0.0 and not scan.quarter_turn(blank, DPI)
    assert scan.text_lines(blank, DPI) == [] and scan.estimate_skew(blank) == 0.0


def _scanned_page(image: np.ndarray, dpi: int) -> tuple[pymupdf.Document, pymupdf.Page]:
    """An image-only PDF page showing `image` (gray) at `dpi`."""
    h, w = image.shape
    doc = pymupdf.open()
    page = doc.new_page(width=w * 72 / dpi, height=h * 72 / dpi)
    pix = pymupdf.Pixmap(pymupdf.csGRAY, w, h, np.ascontiguousarray(image).tobytes(), 0)
    page.insert_image(page.rect, pixmap=pix)
    return doc, page


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_reader_turns_every_orientation_upright(k: int) -> None:
    """The reader's check: quarter turn from the ink, 180° from the recogniser's confidence
    on a few lines read both ways (needs the engine's line recogniser)."""
    pytest.importorskip("rapidocr")
    from extractor.read.ocr import get_engine
    from extractor.read.pdf import OcrOptions, _upright_image, render

    if not hasattr(get_engine("rapidocr"), "recognise"):
        pytest.skip("the OCR engine has no line recogniser")
    _, src = _pdf_page()
    image = np.ascontiguousarray(np.rot90(_gray(src, 150), k))  # turned k quarters counter-clockwise
    _, page = _scanned_page(image, 150)
    options = OcrOptions()
    gray, turn, skew = _upright_image(render(page, options.dpi), options)
    assert turn == 90 * k and abs(skew) < 0.3
    assert gray.shape[0] > gray.shape[1]  # portrait again


# --------------------------------------------------------------------------- skew


@pytest.mark.parametrize("angle", [2.5, -2.5, 3.5])
def test_skew_found_within_a_fifth_of_a_degree(page_gray: np.ndarray, angle: float) -> None:
    skewed = np.asarray(Image.fromarray(page_gray).rotate(angle, resample=Image.BICUBIC, fillcolor=248))
    assert abs(scan.estimate_skew(skewed) - angle) <= 0.2


# --------------------------------------------------------------------------- red seal


def _table_lines(rules: list) -> tuple[list[int], list[int]]:
    """The table's ruling lines as the grid sees them: y of each horizontal and x of each
    vertical line at least 100 pt long, rounded to 2 pt and merged."""
    def merged(values: list[float]) -> list[int]:
        out: list[int] = []
        for v in sorted(values):
            if not out or v - out[-1] > 3:
                out.append(round(v / 2) * 2)
        return out

    hs = [(r.y0 + r.y1) / 2 for r in rules if r.horizontal and r.x1 - r.x0 >= 100]
    vs = [(r.x0 + r.x1) / 2 for r in rules if not r.horizontal and r.y1 - r.y0 >= 100]
    return merged(hs), merged(vs)


def _with_seal(gray: np.ndarray, cx: int, cy: int, r: int) -> tuple[np.ndarray, np.ndarray]:
    """RGB of the page with a red seal (ring, filled star-like disc) multiplied on, as red
    ink on paper; and the seal's mask."""
    yy, xx = np.mgrid[: gray.shape[0], : gray.shape[1]]
    d = np.hypot(xx - cx, yy - cy)
    mask = ((d <= r) & (d >= r - 4)) | (d <= r / 4)
    red = np.array([0.88, 0.22, 0.25], dtype=np.float32)
    tint = np.where(mask[:, :, None], red, 1.0)
    rgb = np.clip(gray[:, :, None].astype(np.float32) * tint, 0, 255).astype(np.uint8)
    return rgb, mask


def test_red_seal_removed_black_text_stays(page_gray: np.ndarray) -> None:
    # over the amounts column of the table
    rgb, mask = _with_seal(page_gray, cx=int(500 * DPI / 72), cy=int(150 * DPI / 72), r=int(55 * DPI / 72))
    lum = (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]).astype(np.uint8)
    out = scan.to_gray(rgb)
    paper_under_seal = mask & (page_gray > 230)
    ink_under_seal = mask & (page_gray < 90)
    assert paper_under_seal.sum() > 200 and ink_under_seal.sum() > 20
    assert np.median(lum[paper_under_seal]) < scan.DARK  # plain luminance: the seal reads as ink
    assert (out[paper_under_seal] >= 200).mean() > 0.98  # the seal is gone
    assert (out[ink_under_seal] < 100).mean() > 0.95  # the figures it covers stay black
    near = np.zeros_like(mask)  # a JPEG smears colour a few pixels: around the seal may move
    yy, xx = np.nonzero(mask)
    near[max(0, yy.min() - 4) : yy.max() + 5, max(0, xx.min() - 4) : xx.max() + 5] = True
    assert np.array_equal(out[~near], page_gray[~near])  # nothing else moves
    # no rule appears where the ring was
    assert _table_lines(scan.find_rules(out, DPI)) == _table_lines(scan.find_rules(page_gray, DPI))


def test_gray_rgb_comes_back_unchanged(page_gray: np.ndarray) -> None:
    rgb = np.repeat(page_gray[:, :, None], 3, axis=2)
    assert np.array_equal(scan.to_gray(rgb), page_gray)


# --------------------------------------------------------------------------- faded scan


def test_low_contrast_stretched_to_a_normal_scans_levels(page_gray: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    faded = 155 + page_gray.astype(np.float32) * ((222 - 155) / 255) + rng.normal(0, 2.0, page_gray.shape)
    faded = np.clip(faded, 0, 255).astype(np.uint8)
    normal = _table_lines(scan.find_rules(page_gray, DPI))
    assert len(normal[0]) == len(LABELS) + 2 and len(normal[1]) == 4
    assert len(_table_lines(scan.find_rules(faded, DPI))[0]) < 3  # the fixed threshold misses them
    ink, paper = scan.contrast_levels(faded)
    assert paper - ink < 80
    out = scan.stretch_contrast(faded)
    ink2, paper2 = scan.contrast_levels(out)
    assert paper2 - ink2 > 120 and paper2 > 235
    assert _table_lines(scan.find_rules(out, DPI)) == normal
    assert scan.stretch_contrast(page_gray) is page_gray  # a normal scan is left alone


# --------------------------------------------------------------------------- two pages a sheet


def _sheet(two: bool = True) -> np.ndarray:
    src = pymupdf.open()
    for title in ("部门收支总表", "部门支出总表"):
        _draw_page(src.new_page(width=595, height=842), title)
    doc = pymupdf.open()
    sheet = doc.new_page(width=842, height=595)
    for k in range(2 if two else 1):
        sheet.show_pdf_page(pymupdf.Rect(k * 421, 0, (k + 1) * 421, 595), src, k)
    return _gray(sheet)


def test_two_up_split_found_in_the_gutter() -> None:
    sheet = _sheet()
    x = scan.two_up_split(sheet, DPI)
    assert x is not None and abs(x - sheet.shape[1] / 2) < sheet.shape[1] * 0.05
    assert (sheet[:, x - 3 : x + 3] > 200).all()  # nothing printed where it cuts
    one = _sheet(two=False)  # the last, odd page alone on its sheet
    assert scan.two_up_split(one, DPI) is not None


def test_two_up_not_found_on_a_normal_page(page_gray: np.ndarray) -> None:
    assert scan.two_up_split(page_gray, DPI) is None  # portrait
    doc = pymupdf.open()
    land = doc.new_page(width=842, height=595)
    _draw_page(land)  # a landscape page whose table and title run over the middle
    assert scan.two_up_split(_gray(land), DPI) is None


# --------------------------------------------------------------------------- end to end


def test_sideways_page_read_end_to_end(tmp_path: Path) -> None:
    """Page 2 of samples/000_rot90.pdf (000's 部门收支总表 scanned, its image turned a quarter
    clockwise on a landscape page): read upright, in the upright page's frame, with the
    table's records and figures right."""
    pytest.importorskip("rapidocr")
    from extractor.evaluation.score import score_document
    from extractor.pipeline import analyse, extract
    from extractor.read.pdf import OcrOptions

    with pymupdf.open(SAMPLES / "000_rot90.pdf") as src:
        assert src[1].rect.width > src[1].rect.height  # stored landscape
        src.select([1])
        src.save(tmp_path / "000_rot90.pdf")
    analysis = analyse(tmp_path / "000_rot90.pdf", OcrOptions())
    page = analysis.pdf.pages[0]
    assert page.source == "ocr" and (page.width, page.height) == (595, 842)  # read upright
    assert abs(page.skew - (-90.77)) < 0.2  # turned a quarter clockwise, then skewed -0.77°
    assert all(-2 <= w.x0 < w.x1 <= 597 and -2 <= w.y0 < w.y1 <= 844 for w in page.words)
    assert all(-2 <= r.x0 <= r.x1 <= 597 and -2 <= r.y0 <= r.y1 <= 844 for r in page.rules)
    out = extract(analysis, "grid", None).doc.model_dump(mode="json")
    items = {r["name"]: r for r in out["line_items"]}
    assert items["一、一般公共预算拨款收入"]["values"]["收入/预算数"] == "1557.33"
    assert items["四、公共安全支出"]["values"]["支出/预算数"] == "1518.59"
    assert all(r["page"] == 1 for r in out["line_items"])
    gold = json.loads((GOLD / "000_rot90.json").read_text(encoding="utf-8"))
    gold["line_items"] = [r for r in gold["line_items"] if r["page"] == 2]
    for r in gold["line_items"]:
        r["page"] = 1
    gold["document"]["labelled"] = {"tables": ["收支总表"], "indicators": False}
    score = score_document(gold, out)
    assert score.overall.f1 >= 0.97, score.overall.f1
    assert math.isclose(score.row_recall, 1.0), score.row_recall


def test_the_strokes_of_big_print_are_not_rules_and_a_tables_short_rules_are() -> None:
    from extractor.read.page import Rule
    from extractor.read.scan import in_lattice

    frame = [Rule(50, 100, 500, 100), Rule(50, 130, 500, 130), Rule(50, 100, 50, 130), Rule(500, 100, 500, 130)]
    inner = [Rule(200, 100, 200, 130)]  # a column rule one row high: short, but it meets the frame
    strokes = [Rule(300, 60, 325, 60), Rule(312, 50, 312, 75)]  # a title's 十 at 25 pt
    faded = [Rule(60, 160, 80, 160), Rule(150, 160, 175, 160), Rule(300, 160, 320, 160)]  # one rule in pieces
    assert in_lattice(frame + inner + strokes + faded) == frame + inner + faded


# --------------------------------------------------------------------------- grey rules


def _grey_ruled(width: float = 842, height: float = 595, grey: float = 0.78) -> np.ndarray:
    """A landscape table ruled in 0.5 pt grey (北京's tables), amounts set right against
    each column's rule, and its middle column left blank: no rule is dark, and a blank
    column runs down the middle of the sheet."""
    doc = pymupdf.open()
    page = doc.new_page(width=width, height=height)
    page.insert_text((300, 60), "一般公共预算支出表", fontname="china-s", fontsize=14)
    xs = [40, 120, 300, 400, 520, 640, 800]
    top, row, rows = 90, 18, 20
    for r in range(rows + 1):
        page.draw_line((xs[0], top + r * row), (xs[-1], top + r * row), width=0.5, color=(grey,) * 3)
    for x in xs:
        page.draw_line((x, top), (x, top + rows * row), width=0.5, color=(grey,) * 3)
    for r in range(1, rows):
        y = top + r * row + 13
        page.insert_text((xs[0] + 3, y), f"20105{r:02d}", fontname="helv", fontsize=9)
        page.insert_text((xs[1] + 3, y), LABELS[r % len(LABELS)], fontname="china-s", fontsize=9)
        for c in (2, 4, 5):  # the column 400-520, across the sheet's middle, stays blank
            amount = AMOUNTS[(r + c) % len(AMOUNTS)]
            page.insert_text((xs[c + 1] - 1.5 - pymupdf.get_text_length(amount, "helv", 9), y), amount,
                             fontname="helv", fontsize=9)
    return _gray(page, 200)


def test_a_table_ruled_in_grey_is_found_and_is_not_two_pages() -> None:
    gray = _grey_ruled()
    assert scan.two_up_split(gray, 200) is None  # its rules run across the blank column
    assert scan.find_rules(gray, 200) == []  # no rule is dark
    rules = scan.page_rules(gray, 200)
    verticals = {round(r.x0) for r in rules if not r.horizontal and r.y1 - r.y0 > 300}
    horizontals = {round(r.y0) for r in rules if r.horizontal and r.x1 - r.x0 > 700}
    # every column rule, figures set against it or not, runs the table's height
    for x in (40, 120, 300, 400, 520, 640, 800):
        assert any(abs(x - v) <= 1 for v in verticals), (x, sorted(verticals))
    assert len({round(y / 3) for y in horizontals}) >= 20


def test_an_ordinary_scans_rules_are_not_taken_from_its_grey(page_gray: np.ndarray) -> None:
    assert scan.page_rules(page_gray, DPI) == scan.find_rules(page_gray, DPI)


def test_skew_of_a_grey_ruled_table_is_found() -> None:
    gray = _grey_ruled()
    turned = np.asarray(Image.fromarray(gray).rotate(0.6, resample=Image.BICUBIC, fillcolor=248))
    assert abs(scan.estimate_skew(turned) - 0.6) <= 0.1


@pytest.mark.parametrize("angle", [0.36, -0.5, 0.7])
def test_skew_of_a_page_with_nothing_dark_is_found_from_its_grey_rules(angle: float) -> None:
    """5 pt print ruled in 0.5 pt grey (北京's tables) comes out of a scan with hardly a
    pixel below DARK: the rules' grey runs must carry the angle."""
    doc = pymupdf.open()
    page = doc.new_page(width=842, height=595)
    xs = [200, 300, 420, 520, 640]
    for r in range(41):
        page.draw_line((xs[0], 90 + r * 10), (xs[-1], 90 + r * 10), width=0.5, color=(0.78,) * 3)
    for x in xs:
        page.draw_line((x, 90), (x, 490), width=0.5, color=(0.78,) * 3)
    for r in range(40):
        page.insert_text((xs[0] + 2, 97 + r * 10), "02-政府履职辅助性服务", fontname="china-s", fontsize=5.4,
                         color=(0.72,) * 3)
        page.insert_text((xs[3] + 60, 97 + r * 10), "23.600000", fontname="helv", fontsize=5.4, color=(0.72,) * 3)
    turned = Image.fromarray(_gray(page, 200)).rotate(angle, resample=Image.BICUBIC, fillcolor=248)
    gray = np.asarray(turned.filter(ImageFilter.GaussianBlur(0.6)))
    assert (gray < scan.DARK).sum() == 0
    assert abs(scan.estimate_skew(gray) - angle) <= 0.1


def test_a_short_thin_column_rule_between_two_row_rules_is_found() -> None:
    """A header's one-row rule between 科目编码 and 科目名称, 0.3 pt black: the scan leaves
    it at about 175, too light to be dark and too short for the faint window."""
    from extractor.read.page import Rule

    doc = pymupdf.open()
    page = doc.new_page(width=595, height=300)
    for y in (100, 121, 140):
        page.draw_line((60, y), (540, y), width=0.8)
    for x in (60, 540):
        page.draw_line((x, 100), (x, 140), width=0.8)
    page.draw_line((170, 100), (170, 121), width=0.3, color=(0.65,) * 3)  # the header row's own column rule, at 175
    page.insert_text((80, 115), "科目编码", fontname="china-s", fontsize=10)
    page.insert_text((300, 115), "科目名称", fontname="china-s", fontsize=10)
    page.insert_text((80, 134), "208 社会保障和就业支出", fontname="china-s", fontsize=10)
    gray = _gray(page, 200)
    rules = scan.find_rules(gray, 200)
    assert not any(not r.horizontal and abs(r.x0 - 170) < 2 for r in rules)  # too light for the finder
    extra = scan.separators(gray, 200, rules)
    assert [(round(r.x0), round(r.y0), round(r.y1)) for r in extra] == [(170, 100, 121)]
    assert all(isinstance(r, Rule) for r in extra)


def test_a_thin_row_rule_one_column_wide_is_found() -> None:
    """A 绩效 table's rule between two indicators of one column, printed thin: between the
    column's two long rules it is a row rule, not a stroke of the indicator's name."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=400)
    for x in (60, 200, 540):
        page.draw_line((x, 100), (x, 300), width=0.8)
    for y in (100, 300):
        page.draw_line((60, y), (540, y), width=0.8)
    page.draw_line((200, 160), (540, 160), width=0.3, color=(0.65,) * 3)  # one column's row rule
    page.insert_text((210, 140), "气象台站改造数量", fontname="china-s", fontsize=10)
    page.insert_text((210, 190), "确保市局各类气象业务及管理工作稳定持续运转", fontname="china-s", fontsize=10)
    gray = _gray(page, 200)
    rules = scan.find_rules(gray, 200)
    assert not any(r.horizontal and abs(r.y0 - 160) < 2 for r in rules)
    extra = [(round(r.y0), round(r.x0), round(r.x1)) for r in scan.separators(gray, 200, rules)]
    assert extra == [(160, 200, 540)]
