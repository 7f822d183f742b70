"""Mutation benchmark for the document audit: how many planted faults does it find?

`make` writes altered copies of the corpus PDFs, each with exactly ONE change of one of
six kinds (a standard table's page deleted, an amount cell blanked, a narrative amount
changed, a narrative direction word flipped, a table title's year changed, the printed
department name replaced by a template placeholder), plus `manifest.json`. `score`
compares the extractor's outputs for the mutants with those for the originals: a mutant
is found when its output has an audit finding of an expected kind whose (kind, message)
the original's output lacks; errors reported on the unaltered originals are false alarms.

    .venv/bin/python bench/audit_mutations.py run --corpus ../shared/corpus --work out/audit_bench
    .venv/bin/python bench/audit_mutations.py make --corpus DIR --out DIR [--seed 0] [--per-kind 5]
    .venv/bin/python bench/audit_mutations.py score --manifest M --originals DIR --mutants DIR [--json PATH]

Text edits redact the old glyphs (text only: ruling lines, shading and images stay) and
write the new text at the same origin, size and colour (Helvetica for digits and Latin
letters, PyMuPDF's built-in "china-s" for Chinese). Each mutant is re-read from the saved
file and kept only if its page's text differs from the original's by exactly the change,
the edited line reads as intended and the page renders as before outside the edit; a
candidate that fails is skipped for the next. Same seed, same bytes. On the 19-PDF corpus
with seed 0: 339 mutants (table_removed 67, cell_blanked 75, narrative_changed 65,
direction_flipped 37, year_changed 43, placeholder_department 52); the scanned PDF takes none.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pymupdf

from extractor.layout.tables import Table
from extractor.normalize import normalize_amount
from extractor.pipeline import analyse
from extractor.vocabulary import ORG_SUFFIX, TITLE_HINT

EXPECTED: dict[str, set[str]] = {
    "table_removed": {"missing_table"},
    "cell_blanked": {"arithmetic", "narrative_mismatch", "narrative_blank"},
    "narrative_changed": {"narrative_mismatch"},
    "direction_flipped": {"narrative_direction"},
    "year_changed": {"year_mismatch"},
    "placeholder_department": {"placeholder"},
}
STANDARD = {"收支总表", "收入总表", "支出总表", "财政拨款收支总表", "一般公共预算支出表", "一般公共预算基本支出表",
            "三公经费表", "政府性基金预算支出表", "国有资本经营预算支出表"}
LEVEL = re.compile(r"收入总计|支出总计|收支总计|本年收入合计|本年支出合计|基本支出|项目支出|一般公共预算|三公|机关运行经费|政府采购")
AMOUNT = re.compile(r"(?<![\d,.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*万元")
DIFF_BEFORE = re.compile(r"增加|减少|增长|下降|增幅|原因")
OTHER_PERIOD = re.compile(r"上年|去年|同期|执行数|增幅")
CLAUSE_END = re.compile(r"[，；;。！？!?]|(?<!\d),|,(?!\d)")  # a comma between digits is a thousands separator
SENTENCE_END = re.compile(r"[；;。！？!?]")
FLIP = {"增加": "减少", "减少": "增加", "大于": "小于", "小于": "大于", "增长": "下降", "下降": "增长"}
PAIRS = re.compile(r"(增加|减少)\s*[\d,.]+\s*万?元[^。；;]{0,12}?(增长|下降)\s*(?!0+(?:\.0+)?\s*[%％])[\d.]+\s*[%％]")
DEPT = re.compile(r"(?:部门（单位）|部门\(单位\)|编制部门|部门名称|单位名称|编制单位|填报单位|预算单位|部门|单位)\s*[:：]\s*"
                  r"(?!金额|万元|千元|元)([^\s:：]*[\u4e00-\u9fff][^\s:：]*?)(?=\s|金额|单位\s*[:：]|$)")
PLACEHOLDERS = ["XX局", "XXXX", "（盖章）", "XX单位", "XXX"]
Char = dict[str, Any]  # c, raw (Rect, unrotated), vis (Rect, as seen), origin, size, color, dir
Edit = dict[str, Any]  # kind, page, detail, plus what the edit needs (chars / rect)


# ---------------------------------------------------------------- reading pages
def page_chars(page: pymupdf.Page) -> list[Char]:
    m, out = page.rotation_matrix, []
    for block in page.get_text("rawdict")["blocks"]:
        for line in block.get("lines", ()):
            for span in line["spans"]:
                for ch in span["chars"]:
                    raw = pymupdf.Rect(ch["bbox"])
                    out.append({"c": ch["c"], "raw": raw, "vis": (raw * m).normalize(), "origin": ch["origin"],
                                "size": span["size"], "color": span["color"], "dir": line["dir"]})
    return out


def mid_y(c: Char) -> float:
    return (c["vis"].y0 + c["vis"].y1) / 2


def visual_lines(chars: list[Char]) -> list[list[Char]]:
    """Characters grouped into lines as the reader sees the page, top to bottom, left to right."""
    lines: list[list[Char]] = []
    for ch in sorted(chars, key=lambda c: (round(mid_y(c), 1), c["vis"].x0)):
        line = next((line for line in reversed(lines[-3:]) if abs(mid_y(ch) - sum(map(mid_y, line)) / len(line))
                     <= 0.4 * max(ch["vis"].height, line[0]["vis"].height, 2.0)), None)
        if line is None:
            lines.append([ch])
        else:
            line.append(ch)
    return [sorted(line, key=lambda c: c["vis"].x0) for line in lines]


def text(chars: list[Char]) -> str:
    return "".join(c["c"] for c in chars)


def squeeze(chars: list[Char] | str) -> str:
    return re.sub(r"\s+", "", chars if isinstance(chars, str) else text(chars))


def in_box(ch: Char, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= (ch["vis"].x0 + ch["vis"].x1) / 2 <= box[2] and box[1] <= mid_y(ch) <= box[3]


def outside(chars: list[Char], boxes: list[tuple[float, float, float, float]]) -> list[Char]:
    return [c for c in chars if not any(in_box(c, b) for b in boxes)]


def bounds(s: str, i: int, ends: re.Pattern[str]) -> tuple[int, int]:
    """The clause (or sentence) of s around position i."""
    cuts = [m.start() for m in ends.finditer(s)]
    return max((c + 1 for c in cuts if c < i), default=0), min((c for c in cuts if c >= i), default=len(s))


# ---------------------------------------------------------------- candidates
def edit(kind: str, page: int, chars: list[Char] | None, **detail: Any) -> Edit:
    return {"kind": kind, "page": page, "chars": chars or [], "detail": detail}


def candidates(doc: pymupdf.Document, tables: list[Table]) -> dict[str, list[list[Edit]]]:
    """Every change the document can take, by kind, grouped (by table or page) for spreading."""
    out: dict[str, list[list[Edit]]] = {k: [] for k in EXPECTED}
    boxes: dict[int, list[tuple[float, float, float, float]]] = {}
    for t in tables:
        for part in t.parts:
            boxes.setdefault(part.grid.page, []).append(part.grid.box)
    kinds = Counter(t.kind for t in tables)
    for p in sorted({p for t in tables for p in t.pages}):
        here = [t for t in tables if p in t.pages]  # whole standard tables, the only ones of their kind
        if all(t.kind in STANDARD and len(t.pages) == 1 and kinds[t.kind] == 1 for t in here):
            out["table_removed"].append([edit("table_removed", p, None, new=None,
                                              old=here[0].kind if len(here) == 1 else [t.kind for t in here])])
    for t in (t for t in tables if t.kind in STANDARD and not t.empty):
        group = []
        for part in t.parts:
            roles = {c.index: c.role for c in part.header.columns}
            for cell in part.grid.cells:
                try:
                    value = normalize_amount(cell.text)
                except ValueError:
                    continue
                if cell.row >= part.header.header_rows and roles.get(cell.col) == "amount" and value and Decimal(value):
                    group.append({**edit("cell_blanked", part.grid.page, None, old=cell.text, new=""), "box": cell.box})
        out["cell_blanked"].append(group)
    for page in doc:
        p = page.number + 1
        flat = [c for line in visual_lines(outside(page_chars(page), boxes.get(p, []))) for c in line]
        s, amounts, flips = text(flat), [], []
        for m in AMOUNT.finditer(s):
            lo, hi = bounds(s, m.start(), CLAUSE_END)
            clause, span = s[lo:hi], flat[m.start(1):m.end(1)]
            if (LEVEL.search(clause) and not DIFF_BEFORE.search(s[lo:m.start()]) and not OTHER_PERIOD.search(clause)
                    and one_line(span)):
                amounts.append(edit("narrative_changed", p, span, old=m.group(1), new=bump(m.group(1)),
                                    sentence=clause.strip()))
        for m in re.finditer("大于|小于", s):
            sentence = s[slice(*bounds(s, m.start(), SENTENCE_END))]
            if ("预算" in sentence and "决算" in sentence) or len(AMOUNT.findall(sentence)) >= 2:
                flips.append((m.start(), m.group(), sentence))
        for m in PAIRS.finditer(s):  # 增加 … 增长 x% (or 减少 … 下降 x%): flipping either contradicts the other
            if (m.group(1) == "增加") == (m.group(2) == "增长"):
                sentence = s[slice(*bounds(s, m.start(), SENTENCE_END))]
                flips += [(m.start(1), m.group(1), sentence), (m.start(2), m.group(2), sentence)]
        out["narrative_changed"].append(amounts)
        out["direction_flipped"].append([edit("direction_flipped", p, flat[i:i + 2], old=w, new=FLIP[w],
                                              sentence=sentence.strip())
                                         for i, w, sentence in sorted(set(flips)) if one_line(flat[i:i + 2])])
    for t in (t for t in tables if t.kind):
        grid = t.parts[0].grid
        page, (x0, y0, x1, _) = doc[grid.page - 1], grid.box
        above = [c for c in outside(page_chars(page), boxes.get(grid.page, []))
                 if y0 - 110 <= c["vis"].y1 <= y0 + 1 and c["vis"].x1 >= x0 - 20 and c["vis"].x0 <= x1 + 20]
        lines = sorted(visual_lines(above), key=lambda line: -line[0]["vis"].y0)  # nearest the table first
        year = next(((line, m) for line in lines if title_like(text(line), t.title)
                     for m in [re.search(r"(20\d\d)\s*年", text(line))] if m), None)
        if year:
            (line, m), old = year, year[1].group(1)
            out["year_changed"].append([edit("year_changed", grid.page, line[m.start(1):m.end(1)], old=old,
                                             new=str(int(old) - 1), line=text(line).strip())])
        # the whole name (one wrapped onto the next line, "江苏省高级人民法 / 院", would keep its tail)
        dept = next(((line, m) for line in lines for m in [DEPT.search(text(line))]
                     if m and re.search(ORG_SUFFIX + r"(?:[（(][^（()）]*[)）])?$", m.group(1))), None)
        if dept:
            line, m = dept
            out["placeholder_department"].append([edit("placeholder_department", grid.page,
                                                       line[m.start(1):m.end(1)], old=m.group(1), new=None)])
    return out


def title_like(line: str, title: str) -> bool:
    """A table's title or a header line ("（2026年度）", "苏州市审计局2026 年度部门预算公开"), not prose
    that happens to sit above a table."""
    line, title = re.sub(r"\s+", "", line), re.sub(r"\s+", "", title)
    return bool(TITLE_HINT.search(line) or (title and (line in title or title in line)) or len(line) <= 12
                or (re.search("预算|决算", line) and len(line) <= 30 and not re.search(r"[，。：:；]$", line)))


def one_line(chars: list[Char]) -> bool:
    """Characters of one run of text: same direction and size, one baseline, no gap wider than a glyph."""
    if not chars or any(c["dir"] != chars[0]["dir"] or abs(c["size"] - chars[0]["size"]) > 0.1 for c in chars):
        return False
    across = 1 if abs(chars[0]["dir"][0]) > abs(chars[0]["dir"][1]) else 0  # the coordinate the baseline fixes
    along = 1 - across
    return all(abs(b["origin"][across] - a["origin"][across]) < 0.5
               and abs(b["origin"][along] - a["origin"][along]) < 1.5 * a["size"] for a, b in pairwise(chars))


def bump(amount: str) -> str:
    """Change the integer part's last digit by one (up, or down from 9): never a rounding."""
    i = (amount.index(".") if "." in amount else len(amount)) - 1
    d = int(amount[i])
    return amount[:i] + str(d + 1 if d < 9 else d - 1) + amount[i + 1:]


# ---------------------------------------------------------------- editing
def band(chars: list[Char], others: list[Char]) -> pymupdf.Rect:
    """A thin strip just above the baseline from the first glyph to the middle of the last one: it
    touches each glyph of the run, stays clear of the lines above and below, and stops short of the
    boxes of neighbouring glyphs (a redaction removes every glyph whose box it touches)."""
    first, last = chars[0], chars[-1]
    (dx, dy), size = first["dir"], first["size"]
    ux, uy = dy, -dx  # "up" for this text direction
    ox, oy = first["origin"]
    along = lambda x, y: (x - ox) * dx + (y - oy) * dy
    up = lambda x, y: (x - ox) * ux + (y - oy) * uy
    start = 0.1 * size
    end = along(*last["origin"]) + (0.8 if ord(last["c"]) > 0x2E80 else 0.4) * size
    mine = {(c["c"], tuple(c["raw"])) for c in chars}
    for c in others:
        if (c["c"], tuple(c["raw"])) in mine or not c["c"].strip():
            continue
        corners = [(x, y) for x in (c["raw"].x0, c["raw"].x1) for y in (c["raw"].y0, c["raw"].y1)]
        lo, hi = min(along(*p) for p in corners), max(along(*p) for p in corners)
        ups = [up(*p) for p in corners]
        if max(ups) < 0.2 * size or min(ups) > 0.6 * size or hi < start or lo > end:
            continue
        if along(*c["origin"]) < 0:
            start = max(start, hi + 0.2)
        else:
            end = min(end, lo - 0.2)
    pts = [(ox + t * dx + h * size * ux, oy + t * dy + h * size * uy) for t in (start, end) for h in (0.2, 0.6)]
    return pymupdf.Rect(min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts))


def write(page: pymupdf.Page, first: Char, new: str) -> pymupdf.Rect:
    """`new` from the first old glyph's origin along its line, same size and colour: Latin runs in
    Helvetica, the rest in china-s. Returns the box it covers (unrotated page space)."""
    (dx, dy), size, color = first["dir"], first["size"], first["color"]
    rotate = {(1, 0): 0, (0, -1): 90, (-1, 0): 180, (0, 1): 270}[(round(dx), round(dy))]
    rgb = ((color >> 16) & 255) / 255, ((color >> 8) & 255) / 255, (color & 255) / 255
    (x, y), box = first["origin"], pymupdf.Rect(first["raw"])
    for run in re.findall(r"[\x20-\x7e]+|[^\x20-\x7e]+", new):
        font = "helv" if run.isascii() else "china-s"
        page.insert_text((x, y), run, fontname=font, fontsize=size, color=rgb, rotate=rotate)
        w = pymupdf.get_text_length(run, fontname=font, fontsize=size)
        x, y = x + w * dx, y + w * dy
        box |= pymupdf.Point(x + dy * size, y - dx * size)  # the end of the run, one em "up"
    return box


STROKE_STATE = re.compile(rb"(?<![\w.+\-/])([+-]?(?:\d+\.?\d*|\.\d+))\s+([wJjM])(?![A-Za-z_*'\"])")
GS_KEY = {b"w": "LW", b"J": "LC", b"j": "LJ", b"M": "ML"}


def keep_stroke_state(doc: pymupdf.Document, page: pymupdf.Page) -> None:
    """MuPDF's redaction rewrites the page's content and drops each `w`, `J`, `j`, `M` (line width,
    cap, join, miter) that no path stroke uses, though stroked text (render mode 2, a common fake
    bold) does: every heading would turn heavier. Restated as ExtGState resources (the same thing to
    a PDF reader) they stay."""
    if doc.xref_get_key(page.xref, "Resources")[0] not in ("dict", "xref"):
        return  # inherited resources: leave the page alone (the rendering check catches any harm)
    states: dict[tuple[bytes, bytes], str] = {}
    for xref in page.get_contents():
        stream = doc.xref_stream(xref)
        fixed = STROKE_STATE.sub(lambda m: b"/%s gs" % states.setdefault((m.group(2), m.group(1)),
                                                                         f"MutGS{len(states)}").encode(), stream)
        if fixed != stream:
            doc.update_stream(xref, fixed)
    target, prefix = page.xref, "Resources/"
    kind, value = doc.xref_get_key(target, "Resources")
    if kind == "xref":  # xref_set_key wants a path of direct objects
        target, prefix = int(value.split()[0]), ""
    kind, value = doc.xref_get_key(target, prefix + "ExtGState")
    target, prefix = (int(value.split()[0]), "") if kind == "xref" else (target, prefix + "ExtGState/")
    for (op, value), name in states.items():
        doc.xref_set_key(target, prefix + name, f"<</Type/ExtGState/{GS_KEY[op]} {value.decode()}>>")


def apply(doc: pymupdf.Document, e: Edit) -> pymupdf.Rect | None:
    """Make the change; returns the area it may alter, as the page is seen (None for a deleted page)."""
    if e["kind"] == "table_removed":
        doc.delete_page(e["page"] - 1)
        return None
    page = doc[e["page"] - 1]
    # A tagged PDF's /ActualText would keep the old words in the extracted text after their glyphs are
    # gone; in the corpus it never differs from the glyphs, so dropping the structure tree reads the same.
    doc.xref_set_key(doc.pdf_catalog(), "StructTreeRoot", "null")
    keep_stroke_state(doc, page)
    chars = page_chars(page)
    if e["kind"] == "cell_blanked":
        runs: list[list[Char]] = []
        for c in sorted((c for c in chars if in_box(c, e["box"]) and c["c"].strip()),
                        key=lambda c: (c["vis"].y0, c["vis"].x0)):
            if runs and one_line([runs[-1][-1], c]):
                runs[-1].append(c)
            else:
                runs.append([c])
        rects, area = [band(run, chars) for run in runs], pymupdf.Rect(e["box"])
    else:
        rects, area = [band(e["chars"], chars)], pymupdf.Rect()
    for rect in rects:
        page.add_redact_annot(rect, fill=False)
    page.apply_redactions(images=pymupdf.PDF_REDACT_IMAGE_NONE, graphics=pymupdf.PDF_REDACT_LINE_ART_NONE)
    if e["kind"] != "cell_blanked":
        raw = write(page, e["chars"][0], e["detail"]["new"])
        for c in e["chars"]:
            raw |= c["raw"]
        area = (raw * page.rotation_matrix).normalize()
    return area + (-2, -2, 2, 2)


def same_elsewhere(a: pymupdf.Page, b: pymupdf.Page, area: pymupdf.Rect) -> bool:
    """Do two pages render alike (72 dpi) outside `area`? The rewritten content may shift a clip edge
    or a line's anti-aliasing by a few levels; a side effect such as all bold text turning heavier
    changes thousands of pixel values by far more."""
    pixmaps = [p.get_pixmap(dpi=72) for p in (a, b)]
    for pix in pixmaps:
        pix.set_rect(pymupdf.IRect(pix.irect) & area.irect, (255, 255, 255))
    x, y = pixmaps[0].samples, pixmaps[1].samples
    return x == y or sum(1 for i, j in zip(x, y) if abs(i - j) > 64) <= 0.0005 * len(x)


def verified(path: Path, source: pymupdf.Document, e: Edit, area: pymupdf.Rect | None) -> bool:
    """Re-read the saved mutant: the page's text is the old text with exactly this change, the edited
    line reads as intended, and the page renders as before outside the edited area."""
    with pymupdf.open(path) as doc:
        if e["kind"] == "table_removed":
            return doc.page_count == source.page_count - 1
        page = doc[e["page"] - 1]
        if area is None or not same_elsewhere(source[e["page"] - 1], page, area):
            return False
        before, after = page_chars(source[e["page"] - 1]), page_chars(page)
        words = [w[4] for w in page.get_text("words")]
    old, new = squeeze(e["detail"]["old"]), squeeze(e["detail"]["new"])
    if Counter(squeeze(after)) != Counter(squeeze(before)) - Counter(old) + Counter(new):
        return False
    if e["kind"] == "cell_blanked":
        return not any(in_box(c, e["box"]) and c["c"].strip() for c in after)
    first = e["chars"][0]
    old_line, i = next((line, k) for line in visual_lines(before) for k, c in enumerate(line)
                       if c["c"] == first["c"] and c["raw"] == first["raw"])
    want = squeeze(old_line[:i]) + new + squeeze(old_line[i + len(e["chars"]):])
    near = min(visual_lines(after), key=lambda line: abs(mid_y(line[0]) - mid_y(first)))
    return squeeze(near) == want and (new != e["detail"]["new"] or any(new in w for w in words))


def make(corpus: Path, out: Path, seed: int, per_kind: int) -> list[dict[str, Any]]:
    out.mkdir(parents=True, exist_ok=True)
    if (out / "manifest.json").exists():  # a previous run's mutants (only those: the folder may hold more)
        for m in json.loads((out / "manifest.json").read_text(encoding="utf-8")):
            (out / m["file"]).unlink(missing_ok=True)
    manifest: list[dict[str, Any]] = []
    for pdf in sorted(corpus.glob("*.pdf")):
        source = pymupdf.open(pdf)
        cands = candidates(source, analyse(pdf).tables)
        for kind in EXPECTED:  # round-robin over the groups (tables, pages) so mutants spread out
            rng = random.Random(f"{seed}:{pdf.name}:{kind}")
            groups = [rng.sample(g, len(g)) for g in cands[kind] if g]
            rng.shuffle(groups)
            queue = [g[i] for i in range(max(map(len, groups), default=0)) for g in groups if i < len(g)]
            made = 0
            for e in queue:
                if made == per_kind:
                    break
                if kind == "placeholder_department":
                    e["detail"]["new"] = rng.choice(PLACEHOLDERS)
                name = f"{pdf.stem}__{kind}_{made + 1}_p{e['page']}.pdf"
                with pymupdf.open(pdf) as doc:
                    area = apply(doc, e)
                    doc.save(out / name, garbage=3, deflate=True, no_new_id=True)
                if not verified(out / name, source, e, area):
                    (out / name).unlink()
                    print(f"  skipped (edit not clean): {pdf.name} {kind} p{e['page']} {e['detail']}", file=sys.stderr)
                    continue
                manifest.append({"file": name, "source": pdf.name, "kind": kind, "page": e["page"],
                                 "detail": e["detail"]})
                made += 1
        source.close()
        print(f"{pdf.name}: " + (", ".join(f"{k} {n}" for k, n in Counter(
            m["kind"] for m in manifest if m["source"] == pdf.name).items()) or "nothing it can take"))
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    counts = Counter(m["kind"] for m in manifest)
    print("\n| kind | mutants |\n|---|---|\n" + "".join(f"| {k} | {counts[k]} |\n" for k in EXPECTED)
          + f"| total | {len(manifest)} |")
    if len(manifest) < 200:
        print(f"warning: only {len(manifest)} mutants (< 200): raise --per-kind", file=sys.stderr)
    return manifest


# ---------------------------------------------------------------- scoring
def findings(path: Path) -> list[dict[str, Any]] | None:
    """The audit findings of one output JSON ([] when it has no audit yet), None if missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [f for f in (data.get("audit") or {}).get("findings") or [] if isinstance(f, dict)]
    except (OSError, ValueError, AttributeError):
        return None


def score(manifest: Path, originals: Path, mutants: Path, json_path: Path | None = None) -> dict[str, Any]:
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    orig: dict[str, list[dict[str, Any]] | None] = {}
    rows = {k: {"made": 0, "found": 0, "missed": 0} for k in EXPECTED}
    missing: list[str] = []
    missed: list[str] = []
    for m in entries:
        src = m["source"]
        if src not in orig:
            orig[src] = findings(originals / Path(src).with_suffix(".json"))
        known = {(f.get("kind"), f.get("message")) for f in orig[src] or []}
        got = findings(mutants / Path(m["file"]).with_suffix(".json"))
        hit = got is not None and any(f.get("kind") in EXPECTED.get(m["kind"], set())
                                      and (f.get("kind"), f.get("message")) not in known for f in got)
        row = rows.setdefault(m["kind"], {"made": 0, "found": 0, "missed": 0})
        row["made"] += 1
        row["found" if hit else "missed"] += 1
        if got is None:
            missing.append(m["file"])
        if not hit:
            missed.append(m["file"])
    false = []
    for path in sorted(originals.rglob("*.json")):
        if path.name.startswith("."):
            continue
        for f in findings(path) or []:
            if f.get("severity") == "error":
                false.append({"document": str(path.relative_to(originals)), "kind": f.get("kind"),
                              "message": f.get("message")})
    total = {k: sum(r[k] for r in rows.values()) for k in ("made", "found", "missed")}
    share = lambda r: round(r["found"] / r["made"], 3) if r["made"] else None
    print("| mutation | made | found | missed | share found |\n|---|---|---|---|---|")
    for kind, r in [*rows.items(), ("total", total)]:
        print(f"| {kind} | {r['made']} | {r['found']} | {r['missed']} | "
              + (f"{100 * r['found'] / r['made']:.1f}%" if r["made"] else "-") + " |")
    no_original = sorted(s for s, f in orig.items() if f is None)
    for names, what in ((missing, "mutant outputs missing or unreadable (counted as missed)"),
                        (no_original, "originals without a readable output (mutants judged against no findings)")):
        if names:
            print(f"\n{len(names)} {what}:\n" + "\n".join(f"  {n}" for n in names))
    by_kind = Counter(f["kind"] for f in false)
    print(f"\nfalse alarms (errors on the unaltered originals): {len(false)}"
          + (" (" + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items(), key=str)) + ")" if false else ""))
    for f in false:
        print(f"  {f['document']} | {f['kind']} | {f['message']}")
    result = {"per_kind": {k: {**r, "share_found": share(r)} for k, r in rows.items()},
              "total": {**total, "share_found": share(total)}, "missing_outputs": missing, "missed": missed,
              "false_alarms": {"count": len(false), "by_kind": dict(by_kind), "list": false},
              "originals_without_output": no_original}
    if json_path:
        json_path.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def extract(folder: Path, out: Path, workers: int) -> None:
    cmd = [sys.executable, "-m", "extractor", "extract", str(folder), "--out", str(out), "--workers", str(workers)]
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    mk, sc, rn = (sub.add_parser(n, help=h) for n, h in (
        ("make", "write the mutants and manifest.json"), ("score", "score the outputs of mutants and originals"),
        ("run", "make, extract the originals and the mutants, score")))
    for p, names in ((mk, ["--corpus", "--out"]), (sc, ["--manifest", "--originals", "--mutants"]),
                     (rn, ["--corpus", "--work"])):
        for n in names:
            p.add_argument(n, type=Path, required=True)
    for p in (mk, rn):
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--per-kind", type=int, default=5, help="most mutants of one kind per document")
    for p in (sc, rn):
        p.add_argument("--json", type=Path, help="also write the score as JSON here")
    rn.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    if args.cmd == "make":
        make(args.corpus, args.out, args.seed, args.per_kind)
    elif args.cmd == "score":
        score(args.manifest, args.originals, args.mutants, args.json)
    else:
        make(args.corpus, args.work / "mutants", args.seed, args.per_kind)
        extract(args.corpus, args.work / "out_originals", args.workers)
        extract(args.work / "mutants", args.work / "out_mutants", args.workers)
        score(args.work / "mutants" / "manifest.json", args.work / "out_originals", args.work / "out_mutants",
              args.json or args.work / "score.json")


if __name__ == "__main__":
    main()
