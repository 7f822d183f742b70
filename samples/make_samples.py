#!/usr/bin/env python3
"""Render the seed text dumps into sample budget-disclosure PDFs.

Each seed (`NNN_<hash>.txt`: tab-separated table rows, `## ` headings, `<b>`
tags) becomes

* `NNN.pdf`       an A4 digital PDF with ruled tables, CJK text and a text layer;
* `NNN_scan.pdf`  the same pages rasterised, skewed, noised, JPEG-compressed,
                  image only (no text layer);

plus one `layout.json` that records, for every rendered table, its title,
pages and the page of each row's label (for gold labellers).

Everything is deterministic: fixed RNG seeds, no dates or random IDs in the
PDFs, JPEG encoded by Pillow with fixed settings.

Usage: python samples/make_samples.py [--seeds DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pymupdf
from PIL import Image, ImageFilter

HERE = Path(__file__).resolve().parent
MAX_BYTES = 1_000_000  # keep every committed sample under 1 MB
DEFAULT_SEEDS = Path(__file__).resolve().parents[1] / ".." / "shared" / "seeds"
DEFAULT_OUT = HERE

PORTRAIT = (595.0, 842.0)  # A4 in points
LANDSCAPE = (842.0, 595.0)
FONT = pymupdf.Font("china-s")  # MuPDF's built-in CJK font (Droid Sans Fallback)
LINE = 1.28  # line height as a multiple of the font size
PAD = 2.5  # cell padding in points
RULE_WIDTH = 0.6
BOLD_STROKE = 0.6  # faux-bold stroke relative to TextWriter's default

# A cell is an amount (right-aligned) when it looks like 1,557.33 / 1557.33 / -3.
AMOUNT_RE = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")  # codes: set `align`
# A cell is only a code or a number when it has no letters/CJK (not a row label).
CODE_RE = re.compile(r"^[\d\s.,:%\-=<>≤≥＝()（）/+]*$")
NUMBER_RE = re.compile(r"\d[\d,]*(?:\.\d+)?")
TOC_RE = re.compile(r"^(.*?)\.{3,}\t(\d+)$")
DASH_ROW_RE = re.compile(r"^[\s\-\t]+$")
LATEX_RE = re.compile(r"\$\\geq\s*([\d.]+)\\%\$")
# 003: free lines between the forms (a form's title, the 填表人 line below it).
FREE_LINE_RE = re.compile(r"^(填表人|\d{4}年.*表$)")
# Caption lines that describe a table but are not its title.
NOT_TITLE_RE = re.compile(r"^(部门[：:]|部门名称|单位[：:]|金额单位|填报单位|表\d|预算公开表|[(（])")
# Lines that belong above a table: its title, 部门/单位 lines, the year line.
CAPTION_RE = re.compile(r"表(（.*）)?$|^表\d+$|^(部门|单位|金额单位|填报单位|预算公开表)|^[(（]\s*\d{4}")

# ----------------------------------------------------------------------------
# Per-seed layout choices, where inferring them from the dump is impractical.
#
# Sample keys: rng_seed (scan noise), watermark (text drawn over every page; its
# lines in the seed are dropped), cover (first N paragraphs on a cover page),
# page_break_before (regexes on paragraphs / table captions), heading_page_break
# (each table with a heading starts a page), seed_breaks (a blank line inside a
# table = a page break of the original), fixups (literal replacements in the
# seed), titles (table index -> title, when the seed has none), format ("cells"
# for 003's one-cell-per-line dump), tables.
#
# tables: (title regex, options), first match wins. Options: widths (relative
# column widths; their count is the column count), header (number of header
# rows; spans are inferred), align (L/C/R per column; default: amounts right,
# text left), font, min_row (points), repeat_header, landscape, new_page,
# anchor (re-align rows whose leading empty cells the dump dropped),
# vmerge_cols (an empty cell joins the labelled cell above it), form (003:
# column spans follow from a row's cell count).
# ----------------------------------------------------------------------------

ECON_CODES = {"header": 2, "widths": [28, 26, 52, 150, 80, 80, 80], "align": "CCCLRRR",
              "repeat_header": True}
FUNC_CODES = {"header": 2, "widths": [28, 24, 24, 48, 104, 84, 84, 84], "align": "CCCCLRRR"}

SAMPLES: dict[str, dict[str, Any]] = {
    "000": {
        "rng_seed": 1000,
        "heading_page_break": True,  # every table starts on a new page, as in the original
        "tables": [
            (r"^部门收支总表", {"header": 2, "widths": [170, 75, 190, 75]}),
            (r"^部门支出总表", FUNC_CODES),
            (r"^财政拨款收支预算总表", {"header": 2, "widths": [118, 58, 120, 56, 56, 56, 56]}),
            (r"^一般公共预算支出预算表", FUNC_CODES),
            (r"^一般公共预算基本支出预算表", ECON_CODES),
            (r"^一般公共预算项目支出预算表", {"header": 2, "widths": [30, 26, 26, 52, 200, 90],
                                        "align": "CCCCLR"}),
            (r"三公", {"header": 3, "widths": [48, 80, 52, 62, 52, 66, 66, 62], "align": "CLRRRRRR"}),
            (r"^部门预算项目绩效目标表", {
                "header": 1, "landscape": True, "font": 6.5, "repeat_header": False,
                "widths": [58, 62, 36, 214, 40, 56, 124, 24, 40, 44, 24, 40],
                "align": "LLRLCCLCCCCC",
                # The seed dropped empty leading cells; re-anchor rows on the 一级指标 column.
                "anchor": {"col": 4, "values": ["产出指标", "效益指标", "满意度指标", "成本指标"]},
            }),
            (r"^部门整体支出绩效目标表", {"header": 0, "font": 7.5,
                                      "widths": [66, 88, 66, 120, 44, 44, 44, 40]}),
        ],
    },
    "002": {
        "rng_seed": 2002,
        # 36 scanned pages do not fit in 1 MB at 150 dpi; the scan keeps the cover,
        # the 目录 and every budget table (pp. 1-15), which is what its gold labels.
        "scan_pages": 15,
        "watermark": "仅供内部审核",
        "cover": 2,  # the first two paragraphs form the cover page
        "seed_breaks": True,  # blank lines inside a table = the original's page breaks
        "page_break_before": [r"^目 录$", r"^第一部分", r"^预算公开表1$", r"^2024年预算收入总表$",
                              r"^2024年预算支出总表$", r"^2024年财政拨款收支总表$",
                              r"^2024年一般公共预算", r"^2024年政府性基金预算收入",
                              r"^2024年财政拨款安排“三公”", r"^2024年项目支出预算表（本年",
                              r"^第三部分", r"^预算部门（单位）整体", r"^泽州县县\(区\)级",
                              r"^第四部分"],
        # The seed lost the merged labels of a form split over a page; fold them back in.
        "fixups": [("年度绩效\n指标\n\n产出指标\n\n质量指标\t", "年度绩效指标\t产出指标\t质量指标\t")],
        "tables": [
            (r"财政拨款收支总表$", {"header": 3, "widths": [112, 56, 128, 56, 56, 56, 56],
                                "repeat_header": True}),
            (r"预算收支总表$", {"header": 2, "widths": [130, 56, 150, 60, 60, 60],
                             "repeat_header": True}),
            (r"收入总表$", {"header": 2, "widths": [50, 86, 50, 54, 48, 56, 54, 48, 50],
                          "align": "LLRRRRRRR", "repeat_header": False}),
            (r"支出总表$|支出预算表（不含", {"header": 2, "widths": [70, 185, 80, 80, 80],
                                      "align": "LLRRR"}),
            (r"分经济科目表", {"header": 2, "widths": [130, 125, 80, 80, 80], "repeat_header": True}),
            (r"基金预算收入表", {"header": 2, "widths": [120, 200, 175], "align": "LLR"}),
            (r"基金预算支出表", {"header": 1, "widths": [80, 175, 80, 80, 80], "align": "LLRRR"}),
            (r"国有资本经营预算收支", {"header": 3, "widths": [60, 56, 68, 56, 75, 60, 60, 60]}),
            (r"三公", {"header": 2, "widths": [135, 95, 95, 95, 95]}),
            (r"机关运行经费", {"header": 2, "widths": [135, 95, 95, 95, 95]}),
            (r"项目支出预算表（本年", {"header": 3, "widths": [150, 55, 60, 60, 60, 60, 50]}),
            (r"项目支出预算表（上年", {"header": 3, "widths": [195, 75, 80, 80, 85]}),
            (r"整体支出绩效目标", {
                "header": 0, "font": 7.5, "min_row": 15, "widths": [70, 110, 110, 150, 70],
                "vmerge_cols": [0, 2],  # (its 一级 column lost its labels in the dump)
                # below the indicator header the dump dropped leading empty cells
                "anchor": {"col": 2, "after": "一级指标", "pad_left": True, "values": [
                    "数量指标", "质量指标", "时效指标", "成本指标", "经济效益指标", "社会效益指标",
                    "生态效益指标", "可持续影响指标", "服务对象满意度指标"]},
            }),
            (r"项目支出绩效目标", {"header": 0, "font": 7, "min_row": 14,
                               "widths": [56, 62, 62, 72, 54, 62, 48, 48, 42]}),
            (r"政府购买服务", {"header": 1, "widths": [60, 60, 100, 125, 170]}),
        ],
        "titles": {21: "政府购买服务指导性目录"},
    },
    "003": {
        "rng_seed": 3003,
        "format": "cells",  # one cell per line, rows separated by blank lines
        "tables": [
            (r".", {"header": 0, "form": True, "font": 8.5, "vmerge_cols": [0, 1, 2],
                    "widths": [72, 62, 80, 165, 66, 50], "align": "CCCLCC", "new_page": True}),
        ],
    },
    "004": {
        "rng_seed": 4004,
        "seed_breaks": True,
        "tables": [
            (r".", {"header": 1, "font": 7.5, "repeat_header": True,
                    "widths": [34, 74, 46, 148, 213], "align": "CLRLL"}),
        ],
    },
}


# ----------------------------------------------------------------------------
# Seed parsing
# ----------------------------------------------------------------------------


@dataclass
class Cell:
    text: str
    bold: bool = False


@dataclass
class Block:
    """One item of the document flow."""

    kind: str  # "heading" | "para" | "toc" | "table"
    text: str = ""
    level: int = 0
    rows: list[list[Cell]] = field(default_factory=list)
    breaks: set[int] = field(default_factory=set)  # rows preceded by a blank line in the seed
    captions: list[str] = field(default_factory=list)


def clean_cell(raw: str) -> Cell:
    """Strip the dump's markup: <b> means bold, <p> paragraphs become lines."""
    bold = "<b>" in raw
    text = raw.replace("<b>", "").replace("</b>", "")
    text = re.sub(r"</p>\s*<p>", "\n", text).replace("<p>", "").replace("</p>", "")
    text = LATEX_RE.sub(r"≥\1%", text)  # OCR left `$\geq 95\%$`; the document prints ≥95%
    lines = [ln.strip() for ln in text.split("\n")]
    return Cell("\n".join(ln for ln in lines if ln), bold)


def parse_tabbed(text: str, watermark: str | None) -> list[Block]:
    """Tables are runs of tab-separated lines; blank (or watermark) lines may sit inside."""
    blocks: list[Block] = []
    table_open = False  # the last block is a table and only blanks followed it
    blank_seen = False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped == watermark:
            blank_seen = True
            continue
        if TOC_RE.match(line):
            entry, page = TOC_RE.match(line).groups()
            blocks.append(Block("toc", f"{entry}\t{page}"))
            table_open = False
        elif "\t" in line:
            if DASH_ROW_RE.match(line):
                continue  # markdown separator left by the dump
            row = [clean_cell(c) for c in line.split("\t")]
            if table_open:
                if blank_seen:
                    blocks[-1].breaks.add(len(blocks[-1].rows))
                blocks[-1].rows.append(row)
            else:
                blocks.append(Block("table", rows=[row]))
                table_open = True
        elif stripped.startswith("#"):
            level = len(stripped) - len(stripped.lstrip("#"))
            blocks.append(Block("heading", stripped.lstrip("#").strip(), level=level))
            table_open = False
        else:
            blocks.append(Block("para", stripped))
            table_open = False
        blank_seen = False
    return blocks


def parse_cellwise(text: str) -> list[Block]:
    """003's dump: every cell starts with a tab on its own line and a blank line ends
    a row; a line without a tab continues the cell above (a line break inside it),
    except the free lines around each form (its title and the 填表人 line)."""
    blocks: list[Block] = []
    row: list[str] | None = None
    after_blank = True

    def flush() -> None:
        nonlocal row
        if row is None:
            return
        cells = [clean_cell(c) for c in row]
        if len(cells) == 1:  # a lone cell is the caption line above the form
            blocks.append(Block("para", cells[0].text))
        else:
            if not blocks or blocks[-1].kind != "table":
                blocks.append(Block("table"))
            blocks[-1].rows.append(cells)
        row = None

    for line in text.splitlines():
        if line.startswith("\t"):
            if after_blank or row is None:
                flush()
                row = []
            row.append(line[1:])
            after_blank = False
        elif not line.strip():
            after_blank = True
        elif row is None or FREE_LINE_RE.match(line.strip()):
            flush()
            blocks.append(Block("para", line.strip()))
            after_blank = True
        else:
            row[-1] += "\n" + line  # continuation of the current cell
            after_blank = False
    flush()
    return blocks


def attach_captions(blocks: list[Block]) -> list[Block]:
    """Move the short lines right above each table (title, 部门, 单位) into the table
    so that they are kept on the table's page."""
    out: list[Block] = []
    for b in blocks:
        if b.kind == "table":
            caps: list[str] = []
            while out and len(caps) < 4 and is_caption(out[-1]):
                caps.insert(0, out.pop().text)
            b.captions = caps
        out.append(b)
    return out


def is_caption(b: Block) -> bool:
    text = re.sub(r"\s+", " ", b.text)
    return (b.kind == "heading" or b.kind == "para" and bool(CAPTION_RE.search(text))) \
        and len(text) <= 40


def table_title(b: Block) -> str:
    for cap in reversed(b.captions):
        if not NOT_TITLE_RE.match(cap):
            return cap
    return b.captions[-1] if b.captions else ""


def parse_seed(text: str, cfg: dict[str, Any]) -> list[Block]:
    for old, new in cfg.get("fixups", []):
        if old not in text:
            raise ValueError(f"fixup target not found: {old!r}")
        text = text.replace(old, new)
    if cfg.get("format") == "cells":
        blocks = parse_cellwise(text)
    else:
        blocks = parse_tabbed(text, cfg.get("watermark"))
    return attach_captions(blocks)


# ----------------------------------------------------------------------------
# Text measuring and wrapping
# ----------------------------------------------------------------------------


def text_width(s: str, size: float) -> float:
    return FONT.text_length(s, fontsize=size)


RUN = r"[A-Za-z0-9.,%:/\-+=<>≤≥$#@_()\[\]]+"  # Latin/number runs are never split


def tokens(s: str) -> list[str]:
    """Break points: between CJK characters, never inside a Latin/number run."""
    return re.findall(RUN + r"|\s+|.", s)


NO_LINE_START = set("，。、；：？！）》」』”’%,.;:)]")
NO_LINE_END = set("（《「『“‘([")


def wrap(s: str, width: float, size: float) -> list[str]:
    lines: list[str] = []
    for para in s.split("\n"):
        cur = ""
        for tok in tokens(para):
            if tok in NO_LINE_START and cur and text_width(cur + tok, size) > width:
                # closing punctuation never starts a line: carry the last word with it
                run = re.search(RUN + "$", cur)
                k = run.start() if run else len(cur) - 1
                if k > 0:
                    lines.append(cur[:k].rstrip())
                    cur = cur[k:]
                cur += tok
                continue
            if text_width(cur + tok, size) <= width or not cur:
                if not cur and tok.isspace():
                    continue
                if text_width(tok, size) > width and not cur:  # a run wider than the cell
                    for ch in tok:
                        if cur and text_width(cur + ch, size) > width:
                            lines.append(cur)
                            cur = ""
                        cur += ch
                    continue
                cur += tok
            elif cur[-1] in NO_LINE_END and len(cur) > 1:
                lines.append(cur[:-1].rstrip())  # an opening bracket moves to the next line
                cur = cur[-1] + ("" if tok.isspace() else tok)
            else:
                lines.append(cur.rstrip())
                cur = "" if tok.isspace() else tok
        lines.append(cur.rstrip())
    return lines or [""]


# ----------------------------------------------------------------------------
# Page writer: collects text and rules per page and flushes them once
# ----------------------------------------------------------------------------


def thin_strokes(page: pymupdf.Page, factor: float) -> None:
    """TextWriter strokes faux-bold text at 5% of the font size, which smears small
    digits; scale the line widths in the stream it just appended."""
    doc = page.parent
    xref = page.get_contents()[-1]
    stream = doc.xref_stream(xref)
    stream = re.sub(rb"(?m)^([\d.]+) w$",
                    lambda m: b"%.3f w" % (float(m.group(1)) * factor), stream)
    doc.update_stream(xref, stream)


class PageWriter:
    def __init__(self, doc: pymupdf.Document):
        self.doc = doc
        self.page: pymupdf.Page | None = None
        self.landscape = False
        self.y = 0.0
        self.used = False  # anything drawn below the top margin yet

    # geometry of the current page
    @property
    def left(self) -> float:
        return 40.0 if self.landscape else 50.0

    @property
    def right(self) -> float:
        return self.page.rect.width - self.left

    @property
    def top(self) -> float:
        return 42.0 if self.landscape else 56.0

    @property
    def bottom(self) -> float:
        return self.page.rect.height - (46.0 if self.landscape else 60.0)

    @property
    def number(self) -> int:
        return self.page.number + 1

    def new_page(self, landscape: bool = False) -> None:
        self.finish_page()
        w, h = LANDSCAPE if landscape else PORTRAIT
        self.page = self.doc.new_page(width=w, height=h)
        self.landscape = landscape
        self.tw = pymupdf.TextWriter(self.page.rect)
        self.tw_bold = pymupdf.TextWriter(self.page.rect)
        self.shape = self.page.new_shape()
        self.rules = 0
        self.y = self.top
        self.used = False

    def finish_page(self) -> None:
        if self.page is None:
            return
        footer = f"- {self.number} -"
        self.text((self.page.rect.width - text_width(footer, 9)) / 2, self.page.rect.height - 28,
                  footer, 9)
        if self.rules:
            self.shape.finish(width=RULE_WIDTH, color=(0, 0, 0))
            self.shape.commit()
        self.tw.write_text(self.page)
        if self.tw_bold.text_rect.width > 0:
            self.tw_bold.write_text(self.page, render_mode=2)  # fill+stroke: a faux bold
            thin_strokes(self.page, BOLD_STROKE)
        self.page = None

    def text(self, x: float, baseline: float, s: str, size: float, bold: bool = False) -> None:
        if s:
            (self.tw_bold if bold else self.tw).append((x, baseline), s, font=FONT, fontsize=size)

    def rect(self, r: pymupdf.Rect) -> None:
        self.shape.draw_rect(r)
        self.rules += 1

    def ensure(self, height: float) -> None:
        """Start a new page (same orientation) unless `height` fits below the cursor."""
        if self.page is None or self.y + height > self.bottom:
            self.new_page(self.landscape)


# ----------------------------------------------------------------------------
# Prose rendering
# ----------------------------------------------------------------------------


def para_style(text: str, kind: str, level: int) -> tuple[float, bool, str, float]:
    """(size, bold, align, first-line indent) for a prose line."""
    if kind == "heading":
        return (18, True, "C", 0) if level == 1 else (14, True, "C", 0)
    if re.match(r"^第.部分", text):
        return 15, True, "C", 0
    if len(text) <= 30 and re.match(r"^([一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|\d、)", text):
        return 11, True, "L", 0
    if text.startswith("填表人"):
        return 9, False, "L", 0
    if text in ("目 录",):
        return 16, True, "C", 0
    if len(text) <= 24 and re.match(r"^\d{4}年\d{2}月\d{2}日$", text):
        return 11, False, "C", 0
    return 10.5, False, "L", 21


def draw_lines(w: PageWriter, lines: list[str], size: float, bold: bool, align: str,
               indent: float = 0) -> None:
    lh = size * 1.6
    for i, ln in enumerate(lines):
        w.ensure(lh)
        x0 = w.left + (indent if i == 0 else 0)
        width = text_width(ln, size)
        x = {"L": x0, "C": (w.left + w.right - width) / 2, "R": w.right - width}[align]
        w.text(x, w.y + size, ln, size, bold)
        w.y += lh
        w.used = True


def render_para(w: PageWriter, b: Block) -> None:
    size, bold, align, indent = para_style(b.text, b.kind, b.level)
    if w.page is None:
        w.new_page(False)
    w.y += size * 0.3
    lines = wrap(b.text, w.right - w.left - indent, size)
    if indent and len(lines) > 1:  # re-wrap the rest at full width
        first = lines[0]
        rest = wrap(b.text[len(first):].lstrip(), w.right - w.left, size)
        lines = [first] + rest
    draw_lines(w, lines, size, bold, align, indent)
    w.y += size * 0.3


def render_toc(w: PageWriter, b: Block) -> None:
    entry, page = b.text.split("\t")
    size = 10.5
    w.ensure(size * 1.8)
    indent = 0 if re.match(r"^第.部分", entry) else 21
    x = w.left + indent
    w.text(x, w.y + size, entry, size)
    pw = text_width(page, size)
    w.text(w.right - pw, w.y + size, page, size)
    dots_x0 = x + text_width(entry, size) + 4
    dots = "." * max(0, int((w.right - pw - 4 - dots_x0) / text_width(".", size)))
    w.text(dots_x0, w.y + size, dots, size)
    w.y += size * 1.8
    w.used = True


def render_cover(w: PageWriter, lines: list[str]) -> None:
    w.new_page(False)
    w.y = 300
    for i, ln in enumerate(lines):
        draw_lines(w, [ln], 26 if i else 22, True, "C")
        w.y += 30
    w.used = True


def render_captions(w: PageWriter, caps: list[str], title: str) -> None:
    """Title centred and bold; 部门 line left with the unit line right on the same row."""
    i = 0
    while i < len(caps):
        cap = caps[i]
        if cap == title:
            w.y += 4
            draw_lines(w, wrap(cap, w.right - w.left, 14), 14, True, "C")
            w.y += 2
        elif re.match(r"^填报单位.*\s{2,}", cap):  # 003: one line, unit pushed right
            left, unit = re.split(r"\s{2,}", cap.strip(), maxsplit=1)
            size = 9
            w.text(w.left, w.y + size, left, size)
            w.text(w.right - text_width(unit, size), w.y + size, unit, size)
            w.y += size * 1.7
        elif re.match(r"^(部门|填报单位)", cap) and i + 1 < len(caps) \
                and re.match(r"^(金额)?单位", caps[i + 1]):
            size = 9
            w.text(w.left, w.y + size, cap, size)
            unit = caps[i + 1]
            w.text(w.right - text_width(unit, size), w.y + size, unit, size)
            w.y += size * 1.7
            i += 1
        elif re.match(r"^(金额)?单位", cap) or "单位：万元" in cap:
            size = 9
            w.text(w.right - text_width(cap, size), w.y + size, cap, size)
            w.y += size * 1.7
        elif re.match(r"^[(（]", cap):
            draw_lines(w, [cap], 10, False, "C")
        else:
            draw_lines(w, wrap(cap, w.right - w.left, 9), 9, False, "L")
        i += 1


# ----------------------------------------------------------------------------
# Table model: spans, widths, heights
# ----------------------------------------------------------------------------


@dataclass
class GridCell:
    row: int
    col: int
    text: str
    bold: bool = False
    rowspan: int = 1
    colspan: int = 1
    lines: list[str] = field(default_factory=list)
    size: float = 0.0  # font size; smaller than the table's when shrunk to fit


@dataclass
class TableLayout:
    cols: list[float]  # x of each column edge
    size: float
    header: list[GridCell]
    header_heights: list[float]
    body: list[list[GridCell]]  # per data row
    heights: list[float]
    align: str
    vmerge: dict[tuple[int, int], tuple[int, int]]  # (row, col) -> (top row, last row)


def trim(row: list[Cell]) -> list[Cell]:
    row = list(row)
    while row and not row[-1].text:
        row.pop()
    return row


def anchor_row(row: list[Cell], ncols: int, anchor: dict[str, Any]) -> list[Cell]:
    """Place the cell holding an anchor value at anchor["col"]; cells before it are
    right-aligned up to it, cells after it follow on (the dump dropped empty cells).
    With pad_left, a row without an anchor is right-aligned instead."""
    placed = row
    for i, c in enumerate(row):
        if c.text in anchor["values"]:
            before = row[max(0, i - anchor["col"]):i]
            placed = [Cell("")] * (anchor["col"] - len(before)) + before + row[i:]
            break
    else:
        if anchor.get("pad_left"):
            placed = [Cell("")] * (ncols - len(row)) + row
    kept = [c.text for c in placed[:ncols] if c.text]
    if kept != [c.text for c in row if c.text]:
        raise ValueError(f"anchoring would drop cells of {[c.text for c in row]}")
    return placed[:ncols]


def anchor_rows(rows: list[list[Cell]], ncols: int, anchor: dict[str, Any]) -> list[list[Cell]]:
    """Apply anchor_row to the rows below the one holding anchor["after"] (all if unset)."""
    start = 0
    if "after" in anchor:
        start = next(i for i, r in enumerate(rows) if any(c.text == anchor["after"] for c in r)) + 1
    return rows[:start] + [anchor_row(r, ncols, anchor) for r in rows[start:]]


def header_cells(rows: list[list[Cell]], ncols: int) -> list[GridCell]:
    """Infer spans of a multi-row header: a label spans right over empty cells up to the
    next label, and down over cells that are empty in all rows below it."""
    grid = [[(r[c] if c < len(r) else Cell("")) for c in range(ncols)] for r in rows]
    covered: set[tuple[int, int]] = set()
    cells: list[GridCell] = []
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            if (r, c) in covered or not cell.text:
                continue
            cs = 1
            while c + cs < ncols and not row[c + cs].text and (r, c + cs) not in covered:
                cs += 1
            rs = 1
            while r + rs < len(grid) and all(not grid[r + rs][k].text and (r + rs, k) not in covered
                                             for k in range(c, c + cs)):
                rs += 1
            for dr in range(rs):
                for dc in range(cs):
                    covered.add((r + dr, c + dc))
            cells.append(GridCell(r, c, cell.text, cell.bold, rs, cs))
    # empty, uncovered header slots still get a box
    for r in range(len(grid)):
        for c in range(ncols):
            if (r, c) not in covered:
                cells.append(GridCell(r, c, ""))
    return cells


FORM_SPANS = {2: [1, 5], 3: [1, 3, 2], 4: [1, 2, 1, 2], 6: [1, 1, 1, 1, 1, 1]}


def body_cells(row: list[Cell], r: int, ncols: int, widths: list[float], size: float,
               opts: dict[str, Any]) -> list[GridCell]:
    if opts.get("form"):  # 003: the span pattern follows from the number of cells
        spans = FORM_SPANS[len(row)]
        cells, c = [], 0
        for cell, sp in zip(row, spans):
            cells.append(GridCell(r, c, cell.text, cell.bold, 1, sp))
            c += sp
        return cells
    padded = row + [Cell("")] * (ncols - len(row))
    cells = []
    c = 0
    while c < ncols:
        cell = padded[c]
        cs = 1
        # long prose followed by empty cells spans them (merged text cells of forms)
        if cell.text and text_width(cell.text, size) > 2.5 * (widths[c] - 2 * PAD):
            while c + cs < ncols and not padded[c + cs].text:
                cs += 1
        cells.append(GridCell(r, c, cell.text, cell.bold, 1, cs))
        c += cs
    return cells


def cell_height(c: GridCell) -> float:
    return len(c.lines) * c.size * LINE + 2 * PAD + 1


def fit_cell(c: GridCell, width: float, size: float) -> None:
    """Wrap the cell's text; a number or code wider than the cell is never split but
    shrinks the font instead (like a spreadsheet's shrink-to-fit)."""
    widest = max((text_width(tok, size) for tok in tokens(c.text) if not tok.isspace()),
                 default=0)
    c.size = size if widest <= width else max(4.5, 0.97 * size * width / widest)
    c.lines = wrap(c.text, width, c.size)


def build_layout(b: Block, opts: dict[str, Any], width: float) -> TableLayout:
    size = opts.get("font", 8.0)
    nh = opts.get("header", 1)
    keep = (lambda r: r) if opts.get("form") else trim  # a form's cell count sets its spans
    header_rows = [keep(r) for r in b.rows[:nh]]
    data_rows = [keep(r) for r in b.rows[nh:]]
    ncols = len(opts["widths"])
    if "anchor" in opts:
        data_rows = anchor_rows(data_rows, ncols, opts["anchor"])
    too_wide = [r for r in header_rows + data_rows if len(r) > ncols]
    if too_wide and not opts.get("form"):
        raise ValueError(f"row wider than {ncols} columns: {[c.text for c in too_wide[0]]}")
    scale = width / sum(opts["widths"])
    widths = [w_ * scale for w_ in opts["widths"]]
    cols = [0.0]
    for w_ in widths:
        cols.append(cols[-1] + w_)

    def span_width(c: GridCell) -> float:
        return cols[c.col + c.colspan] - cols[c.col] - 2 * PAD

    header = header_cells(header_rows, ncols) if nh else []
    hh = [size * LINE * 1.2 + 2 * PAD] * nh
    for c in header:
        fit_cell(c, span_width(c), size)
    for c in sorted(header, key=lambda c: c.rowspan):  # grow the last spanned row if needed
        need = cell_height(c)
        have = sum(hh[c.row:c.row + c.rowspan])
        if need > have:
            hh[c.row + c.rowspan - 1] += need - have

    body = [body_cells(r, i, ncols, widths, size, opts) for i, r in enumerate(data_rows)]
    heights = []
    for row in body:
        for c in row:
            fit_cell(c, span_width(c), size)
        min_row = opts.get("min_row", size * LINE + 2 * PAD + 5)
        heights.append(max([min_row] + [cell_height(c) for c in row]))

    vmerge = vmerge_groups(body, opts.get("vmerge_cols", []))
    for (r, col), (top, last) in vmerge.items():  # a merged label needs its rows' sum
        if r != top:
            continue
        cell = next(c for c in body[r] if c.col == col)
        need = cell_height(cell)
        have = sum(heights[r:last + 1])
        if need > have:
            heights[last] += need - have
    align = opts.get("align") or ""
    return TableLayout(cols, size, header, hh, body, heights, align, vmerge)


Groups = dict[tuple[int, int], tuple[int, int]]  # (row, col) -> (top row, last row)


def vmerge_groups(body: list[list[GridCell]], vcols: list[int]) -> Groups:
    """For columns in vcols, an empty one-column cell joins the cell above it (a label
    merged over several rows). Returns (row, col) -> (group's top row, last row)."""
    tops: dict[tuple[int, int], int] = {}
    for col in vcols:
        top = None
        for r, row in enumerate(body):
            cell = next((c for c in row if c.col == col and c.colspan == 1), None)
            if cell is None:
                top = None
                continue
            if cell.text or top is None:
                top = r
            tops[(r, col)] = top
    last: dict[tuple[int, int], int] = {}
    for (r, col), top in tops.items():
        last[(top, col)] = max(last.get((top, col), r), r)
    return {(r, col): (top, last[(top, col)]) for (r, col), top in tops.items()}


def cell_align(t: TableLayout, c: GridCell) -> str:
    if c.colspan == 1 and c.col < len(t.align):
        return t.align[c.col]
    return "R" if AMOUNT_RE.match(c.text) else "L"


def draw_cell(w: PageWriter, t: TableLayout, x0: float, c: GridCell, y0: float, y1: float,
              align: str, with_text: bool = True) -> None:
    x1 = x0 + t.cols[c.col + c.colspan]
    xl = x0 + t.cols[c.col]
    w.rect(pymupdf.Rect(xl, y0, x1, y1))
    if not with_text or not c.text:
        return
    lh = c.size * LINE
    block = len(c.lines) * lh
    y = (y0 + y1 - block) / 2  # vertically centred, as the published tables are
    for ln in c.lines:
        tw = text_width(ln, c.size)
        if align == "R":
            x = x1 - PAD - 1 - tw
        elif align == "C":
            x = (xl + x1 - tw) / 2
        else:
            x = xl + PAD + 0.5
        w.text(x, y + c.size * 1.02, ln, c.size, c.bold)
        y += lh


def draw_header(w: PageWriter, t: TableLayout, x0: float) -> None:
    ys = [w.y]
    for h in t.header_heights:
        ys.append(ys[-1] + h)
    for c in t.header:
        draw_cell(w, t, x0, c, ys[c.row], ys[c.row + c.rowspan], "C")
    w.y = ys[-1]


# ----------------------------------------------------------------------------
# Table rendering with page breaks
# ----------------------------------------------------------------------------


def row_label(cells: list[GridCell]) -> str:
    """The first cell with words in it (not a code or amount) names the row."""
    texts = [c.text for c in cells if c.text]
    for tx in texts:
        if not CODE_RE.match(tx):
            return tx.split("\n")[0]
    return texts[0] if texts else ""


def short(text: str, limit: int = 40) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


def render_table(w: PageWriter, b: Block, opts: dict[str, Any], seed_breaks: bool,
                 title: str) -> dict[str, Any]:
    landscape = bool(opts.get("landscape"))
    if w.page is None or landscape != w.landscape or (opts.get("new_page") and w.used):
        w.new_page(landscape)
    width = w.right - w.left
    t = build_layout(b, opts, width)
    head_h = sum(t.header_heights)
    first = t.heights[0] if t.heights else 0
    caption_h = 60 if b.captions else 0
    if w.y + caption_h + head_h + first > w.bottom:
        w.new_page(landscape)
    if w.used:
        w.y += 10  # breathing space after whatever precedes the table on this page
    render_captions(w, b.captions, title)
    x0 = w.left
    header_pages = []
    if t.header:
        draw_header(w, t, x0)
        header_pages.append(w.number)
    rows_out = []
    page_rows: list[tuple[int, float]] = []  # rows on the current page with their y
    on_page = 0
    # the seed's blank lines mark the original's page breaks (ignored near a page top)
    seed_break_rows = {k - len(t.header_heights) for k in b.breaks} if seed_breaks else set()
    for i, h in enumerate(t.heights):
        if (i in seed_break_rows and on_page >= 5) or w.y + h > w.bottom:
            draw_rows(w, t, x0, page_rows)
            page_rows = []
            w.new_page(landscape)
            on_page = 0
            if t.header and opts.get("repeat_header", False):
                draw_header(w, t, x0)
                header_pages.append(w.number)
        page_rows.append((i, w.y))
        w.y += h
        on_page += 1
        numbers = [n for c in t.body[i] for n in NUMBER_RE.findall(c.text)]
        cells = [short(c.text) for c in t.body[i] if c.text]
        rows_out.append({"row": i, "label": row_label(t.body[i]), "page": w.number,
                         "cells": cells, "_numbers": numbers})
    draw_rows(w, t, x0, page_rows)
    w.y += 6
    w.used = True
    pages = sorted({r["page"] for r in rows_out} | set(header_pages))
    return {"title": title, "captions": b.captions, "pages": pages,
            "header_rows": len(t.header_heights), "header_pages": header_pages,
            "rows": rows_out}


def draw_rows(w: PageWriter, t: TableLayout, x0: float, page_rows: list[tuple[int, float]]) -> None:
    """Draw the rows that landed on one page. A vmerged cell is one box over its group's
    rows on this page; its text goes where the group starts."""
    if not page_rows:
        return
    first_i, last_i = page_rows[0][0], page_rows[-1][0]
    ys = {i: y for i, y in page_rows}
    for i, y in page_rows:
        for c in t.body[i]:
            group = t.vmerge.get((i, c.col))
            if group is None:
                draw_cell(w, t, x0, c, y, y + t.heights[i], cell_align(t, c))
                continue
            top, last = group
            if i != top and i != first_i:
                continue  # inside a box drawn from the group's first row on this page
            end = min(last, last_i)
            draw_cell(w, t, x0, c, y, ys[end] + t.heights[end], cell_align(t, c),
                      with_text=i == top)


# ----------------------------------------------------------------------------
# Document assembly
# ----------------------------------------------------------------------------


def table_opts(cfg: dict[str, Any], title: str) -> dict[str, Any]:
    for pattern, opts in cfg["tables"]:
        if re.search(pattern, title):
            return opts
    raise KeyError(f"no layout for table {title!r}")


def add_watermark(doc: pymupdf.Document, mark: str) -> None:
    """Light-grey diagonal text over every page in a 2 x 3 grid, as 002 has it."""
    size = 30
    wl = text_width(mark, size)
    for page in doc:
        for fx in (0.28, 0.72):
            for fy in (0.2, 0.5, 0.8):
                cx, cy = page.rect.width * fx, page.rect.height * fy
                tw = pymupdf.TextWriter(page.rect, opacity=0.3, color=(0.5, 0.5, 0.5))
                tw.append((cx - wl / 2, cy + size / 3), mark, font=FONT, fontsize=size)
                tw.write_text(page, morph=(pymupdf.Point(cx, cy), pymupdf.Matrix(30)))


def render_sample(text: str, cfg: dict[str, Any]) -> tuple[pymupdf.Document, list[dict]]:
    blocks = parse_seed(text, cfg)
    doc = pymupdf.open()
    w = PageWriter(doc)
    tables: list[dict] = []
    breaks = [re.compile(p) for p in cfg.get("page_break_before", [])]
    ncover = cfg.get("cover", 0)
    if ncover:
        render_cover(w, [b.text for b in blocks[:ncover]])
        blocks = blocks[ncover:]
    tindex = 0
    for b in blocks:
        texts = b.captions if b.kind == "table" else [b.text]
        wants_break = b.kind != "toc" and any(p.search(tx) for p in breaks for tx in texts) or (
            cfg.get("heading_page_break") and b.kind == "table" and bool(b.captions))
        title = (cfg.get("titles", {}).get(tindex) or table_title(b)) if b.kind == "table" else ""
        opts = table_opts(cfg, title) if b.kind == "table" else {}
        if wants_break and w.page is not None and w.used:
            w.new_page(bool(opts.get("landscape")))
        if b.kind == "table":
            info = render_table(w, b, opts, cfg.get("seed_breaks", False), title)
            tables.append({"index": tindex, **info})
            tindex += 1
        elif b.kind == "toc":
            if w.page is None:
                w.new_page(False)
            render_toc(w, b)
        else:
            if w.page is not None and w.landscape:
                w.new_page(False)
            render_para(w, b)
    w.finish_page()
    if cfg.get("watermark"):
        add_watermark(doc, cfg["watermark"])
    return doc, tables


def save_pdf(doc: pymupdf.Document, path: Path) -> None:
    """Deterministic output: no dates, no fresh /ID, fonts subset, streams deflated."""
    doc.set_metadata({})
    doc.subset_fonts()
    doc.save(path, garbage=4, deflate=True, no_new_id=True)


# ----------------------------------------------------------------------------
# Scanned variant
# ----------------------------------------------------------------------------


SCAN_DPI = 150
SCAN_QUALITIES = (40, 34, 28, 24, 20, 17, 14, 12)  # tried in turn until the file fits


def scan_image(page: pymupdf.Page, rng: np.random.Generator, dpi: int, *,
               skew: tuple[float, float] = (0.3, 0.8), ink: float = 40.0, paper: float = 248.0,
               tint: np.ndarray | None = None) -> Image.Image:
    """A page as a flatbed scanner returns it: skewed, soft, grey paper, noise, dust.

    skew: the range of the angle's size in degrees (its sign is random); ink / paper: the
    grey levels black and white come out as; tint: an RGB factor (H x W x 3, 0..1, the
    page's size at `dpi`) multiplied onto the page before scanning, as coloured ink on
    paper (a red seal), which makes the scan RGB. The defaults are the samples' scans
    (same random draws, same bytes)."""
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    img = Image.frombytes("L", (pix.width, pix.height), pix.samples)
    if tint is not None:
        gray = np.asarray(img, dtype=np.float32)[:, :, None]
        img = Image.fromarray(np.clip(gray * tint + 0.5, 0, 255).astype(np.uint8), "RGB")
    angle = float(rng.uniform(*skew) * rng.choice([-1.0, 1.0]))
    fill = 255 if tint is None else (255, 255, 255)
    img = img.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=fill)
    img = img.filter(ImageFilter.GaussianBlur(0.7))  # scanner optics soften the edges
    arr = np.asarray(img, dtype=np.float32)
    arr = ink + arr * ((paper - ink) / 255)  # paper not quite white, toner not quite black
    h, w = arr.shape[:2]
    shade = rng.normal(0, 2.5, (h // 64 + 2, w // 64 + 2)).astype(np.float32)
    shade = np.asarray(Image.fromarray(shade).resize((w, h), Image.BILINEAR))  # uneven paper
    noise = rng.normal(0, 2.0, (h, w))  # sensor noise
    if tint is not None:
        shade, noise = shade[:, :, None], noise[:, :, None]
    arr += shade
    arr += noise
    specks = rng.random((h, w)) < 0.0003  # dust
    values = rng.uniform(70, 170, int(specks.sum()))
    arr[specks] = values if tint is None else values[:, None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L" if tint is None else "RGB")


def scan_pdf_bytes(src: pymupdf.Document, images: list[Image.Image], quality: int) -> bytes:
    out = pymupdf.open()
    for page, img in zip(src, images):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality, optimize=True, progressive=True)
        new = out.new_page(width=page.rect.width, height=page.rect.height)
        new.insert_image(new.rect, stream=buf.getvalue())
    out.set_metadata({})
    return out.tobytes(garbage=4, deflate=True, no_new_id=True)


def make_scan(src: pymupdf.Document, path: Path, rng_seed: int, pages: int | None = None) -> dict[str, Any]:
    """Image-only copy of src (its first `pages` pages, if given); the best JPEG quality
    that keeps it under MAX_BYTES (or the lowest tried, when none does)."""
    rng = np.random.default_rng(rng_seed)
    if pages is not None:
        src.select(list(range(pages)))
    images = [scan_image(page, rng, SCAN_DPI) for page in src]
    for quality in SCAN_QUALITIES:
        data = scan_pdf_bytes(src, images, quality)
        if len(data) < MAX_BYTES:
            break
    path.write_bytes(data)
    return {"dpi": SCAN_DPI, "jpeg_quality": quality, "pages": len(images)}


# ----------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------



def verify_numbers(doc: pymupdf.Document, tables: list[dict]) -> None:
    """Every number of every table row must be readable, unbroken, on the row's page."""
    for table in tables:
        for row in table["rows"]:
            words = [w[4] for w in doc[row["page"] - 1].get_text("words")]
            for n in row.pop("_numbers"):
                if not any(n in word for word in words):
                    raise SystemExit(f"{table['title']} row {row['row']}: {n!r} not intact "
                                     f"on page {row['page']}")


def layout_json(layout: dict[str, Any]) -> str:
    """Indented JSON with each table row on one line, so the file reads like a list."""
    compact: list[str] = []

    def placeholder(row: dict) -> str:
        compact.append(json.dumps(row, ensure_ascii=False))
        return f"@row{len(compact) - 1}@"

    shallow = {sid: {**s, "tables": [{**t, "rows": [placeholder(r) for r in t["rows"]]}
                                     for t in s["tables"]]}
               for sid, s in layout.items()}
    text = json.dumps(shallow, ensure_ascii=False, indent=1)
    return re.sub(r'"@row(\d+)@"', lambda m: compact[int(m.group(1))], text) + "\n"


def find_seed(seeds: Path, sid: str) -> Path:
    found = sorted(seeds.glob(f"{sid}_*.txt"))
    if not found:
        raise FileNotFoundError(f"no seed {sid}_*.txt in {seeds}")
    return found[0]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    layout: dict[str, Any] = {}
    for sid, cfg in SAMPLES.items():
        seed = find_seed(args.seeds.resolve(), sid)
        doc, tables = render_sample(seed.read_text(encoding="utf-8"), cfg)
        pdf_path = args.out / f"{sid}.pdf"
        save_pdf(doc, pdf_path)
        rendered = pymupdf.open(pdf_path)
        verify_numbers(rendered, tables)
        scan_path = args.out / f"{sid}_scan.pdf"
        scan = make_scan(pymupdf.open(pdf_path), scan_path, cfg["rng_seed"], cfg.get("scan_pages"))
        layout[sid] = {"seed": seed.name, "pages": rendered.page_count, "scan": scan,
                       "tables": tables}
        for p, n_pages in ((pdf_path, rendered.page_count), (scan_path, scan["pages"])):
            size = p.stat().st_size
            flag = "" if size < MAX_BYTES else "  (over 1 MB!)"
            print(f"{p.name}: {n_pages} pages, {size:,} bytes{flag}")
    (args.out / "layout.json").write_text(layout_json(layout), encoding="utf-8")


if __name__ == "__main__":
    main()
