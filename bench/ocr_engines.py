"""Compare the OCR engines of extractor.read.ocr on budget pages, side by side.

Ground truth: digital (text-layer) table pages from ../shared/corpus. Each page
is OCRed as a fake scan ("scan": rendered at --dpi, skewed, noised,
JPEG-compressed, put back as an image-only page) and, with --conditions
clean,scan, also as is ("clean": the page rendered at --dpi). Metrics against
the page's text layer:

  num      exact recall of numeric tokens (1,935.36 / 2010301; >= 2 digits),
           multiset match anywhere on the page, after NFKC on both sides
  num@box  same, but the OCR box must overlap the text-layer word's box
           (checks the pixel -> page-point mapping, rotated pages included)
  num,     recall with thousands separators ignored (1935.36 == 1,935.36)
  raw      like num but without NFKC on the OCR text (full-width ，． count as misses)
  cjk_acc  1 - edit distance / len(truth) over the page's CJK characters in
           reading order (boxes sorted into lines top-down, then left-right)
  cjk_bag  multiset recall of the page's CJK characters (order-free)
  s/page   warm wall seconds per page (render + OCR), mean and median;
           cpu-s: CPU seconds per page (all threads + tesseract child), which
           a busy machine distorts less than wall time

Also times the fully scanned corpus document (no text layer). Load time is the
engine's construction plus its first call minus the best of 3 warm calls on a small
page. Timings use time.perf_counter.

  python bench/ocr_engines.py                      # defaults, ~3 min on 2 idle cores
  python bench/ocr_engines.py --engines rapidocr --dpi 150 --conditions clean \\
      --page "015_长沙__信访局_2026年部门预算.pdf:12-14" --scanned-pages 1-2
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

# Before pymupdf (which imports onnxruntime when pymupdf_layout is installed):
# keep onnxruntime's telemetry from trying to reach its collector.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import numpy as np  # noqa: E402
import pymupdf  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractor.read.ocr import ENGINES, OcrWord, get_engine, ocr_page  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_PAGES = [
    "015_长沙__信访局_2026年部门预算.pdf:12-14",
    "江苏省委办公厅__江苏省委办公厅2019年度部门预算公开表格.pdf:1,3,5",
    "上海普陀_司法局_2026_部门预算.pdf:10-12",
]
SCANNED_DOC = (
    "002_北京__政务服务和数据管理局_附件1：北京市政务服务和数据管理局2026年度部门预算情况说明.pdf"
)

NUM_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")

Box = tuple[float, float, float, float]
Item = tuple[str, Box]


# ------------------------------------------------------------------ helpers


def parse_pages(spec: str) -> list[int]:
    """'1-3,5' -> [1, 2, 3, 5] (1-based)."""
    out: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def levenshtein(a: str, b: str) -> int:
    """Edit distance, bit-parallel (Myers 1999 / Hyyrö), O(len(b)) big-int steps."""
    if not a:
        return len(b)
    if not b:
        return len(a)
    m = len(a)
    full = (1 << m) - 1
    last = 1 << (m - 1)
    peq: dict[str, int] = {}
    for i, ch in enumerate(a):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    pv, mv, score = full, 0, m
    for ch in b:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & full
        mh = pv & xh
        if ph & last:
            score += 1
        elif mh & last:
            score -= 1
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        pv = (mh | ~(xv | ph)) & full
        mv = ph & xv
    return score


def reading_order(items: list[Item]) -> str:
    """Concatenate texts sorted into lines (by vertical centre) then left to right."""
    if not items:
        return ""
    heights = sorted(b[3] - b[1] for _, b in items)
    tol = 0.5 * heights[len(heights) // 2]
    rows: list[list[Item]] = []
    row_cy = 0.0
    for it in sorted(items, key=lambda t: (t[1][1] + t[1][3]) / 2):
        cy = (it[1][1] + it[1][3]) / 2
        if rows and abs(cy - row_cy) <= tol:
            rows[-1].append(it)
            row_cy = sum((b[1] + b[3]) / 2 for _, b in rows[-1]) / len(rows[-1])
        else:
            rows.append([it])
            row_cy = cy
    return "".join(t for row in rows for t, _ in sorted(row, key=lambda t: t[1][0]))


def numbers(items: list[Item]) -> list[tuple[str, Box]]:
    out = []
    for text, box in items:
        for m in NUM_RE.finditer(text):
            tok = m.group(0)
            if sum(c.isdigit() for c in tok) >= 2:
                out.append((tok, box))
    return out


def overlaps(a: Box, b: Box, pad: float = 4.0) -> bool:
    return a[0] - pad < b[2] and b[0] - pad < a[2] and a[1] - pad < b[3] and b[1] - pad < a[3]


def to_display(
    page: pymupdf.Page, text: str, x0: float, y0: float, x1: float, y1: float, nfkc: bool = True
) -> Item:
    r = pymupdf.Rect(x0, y0, x1, y1) * page.rotation_matrix
    return unicodedata.normalize("NFKC", text) if nfkc else text, (r.x0, r.y0, r.x1, r.y1)


def truth_items(page: pymupdf.Page) -> list[Item]:
    return [to_display(page, w[4], *w[:4]) for w in page.get_text("words") if w[4].strip()]


def ocr_items(page: pymupdf.Page, words: list[OcrWord], nfkc: bool = True) -> list[Item]:
    return [to_display(page, w.text, w.x0, w.y0, w.x1, w.y1, nfkc) for w in words]


def fake_scan(
    page: pymupdf.Page, dpi: int, skew: float, noise: float, jpeg: int, seed: int
) -> pymupdf.Document:
    """An image-only one-page PDF that looks scanned, in the page's displayed geometry."""
    from PIL import Image

    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    img = Image.frombytes("L", (pix.width, pix.height), pix.samples)
    if skew:
        img = img.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
    arr = np.asarray(img, dtype=np.float32)
    if noise:
        arr = arr + np.random.default_rng(seed).normal(0.0, noise, arr.shape)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=jpeg)
    doc = pymupdf.open()
    out = doc.new_page(width=page.rect.width, height=page.rect.height)
    out.insert_image(out.rect, stream=buf.getvalue())
    return doc


def score_page(truth: list[Item], got: list[Item], got_raw: list[Item]) -> dict[str, float]:
    t_nums, g_nums = numbers(truth), numbers(got)
    exact = sum((Counter(t for t, _ in t_nums) & Counter(t for t, _ in g_nums)).values())
    raw = sum((Counter(t for t, _ in t_nums) & Counter(t for t, _ in numbers(got_raw))).values())
    nocomma = sum(
        (
            Counter(t.replace(",", "") for t, _ in t_nums)
            & Counter(t.replace(",", "") for t, _ in g_nums)
        ).values()
    )
    used: set[int] = set()
    at_box = 0
    misses: list[str] = []
    for tok, box in t_nums:
        hit = next(
            (
                i
                for i, (g, gb) in enumerate(g_nums)
                if i not in used and g == tok and overlaps(box, gb)
            ),
            None,
        )
        if hit is None:
            near = [g for g, gb in got if overlaps(box, gb)]
            misses.append(f"{tok} -> {' | '.join(near) or '(nothing)'}")
        else:
            used.add(hit)
            at_box += 1
    t_cjk = "".join(CJK_RE.findall(reading_order(truth)))
    g_cjk = "".join(CJK_RE.findall(reading_order(got)))
    bag = sum((Counter(t_cjk) & Counter(g_cjk)).values())
    return {
        "n_num": len(t_nums),
        "exact": exact,
        "raw": raw,
        "at_box": at_box,
        "nocomma": nocomma,
        "n_cjk": len(t_cjk),
        "ed": levenshtein(t_cjk, g_cjk),
        "bag": bag,
        "misses": misses,  # type: ignore[dict-item]
    }


def synthetic_page() -> pymupdf.Document:
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=200)
    page.insert_text((30, 60), "一般公共预算财政拨款 1,557.33", fontname="china-s", fontsize=14)
    page.insert_text((30, 110), "科目编码 2010301 合计 96,240.00", fontname="china-s", fontsize=14)
    return doc


def time_load(engine: str, dpi: int) -> tuple[float, float]:
    """(construct + first call, best warm call) on a small synthetic page."""
    doc = synthetic_page()
    t0 = time.perf_counter()
    get_engine(engine)
    ocr_page(doc[0], dpi=dpi, engine=engine)
    first = time.perf_counter() - t0
    warm = []
    for _ in range(3):
        t1 = time.perf_counter()
        ocr_page(doc[0], dpi=dpi, engine=engine)
        warm.append(time.perf_counter() - t1)
    return first, min(warm)


def cpu_seconds() -> float:
    """CPU time of this process (all threads) plus finished children (tesseract)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed_ocr(
    page: pymupdf.Page, dpi: int, engine: str, repeat: int
) -> tuple[list[OcrWord], float, float]:
    """OCR result of the first run, best wall time over `repeat` runs, its CPU time."""
    best, cpu, words = float("inf"), 0.0, []
    for i in range(max(repeat, 1)):
        t0, c0 = time.perf_counter(), cpu_seconds()
        got = ocr_page(page, dpi=dpi, engine=engine)
        dt, dc = time.perf_counter() - t0, cpu_seconds() - c0
        if dt < best:
            best, cpu = dt, dc
        if i == 0:
            words = got
    return words, best, cpu


# --------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument(
        "--page",
        action="append",
        metavar="FILE:PAGES",
        help="ground-truth pages, e.g. 'x.pdf:12-14' (repeatable; 1-based)",
    )
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument(
        "--conditions",
        default="scan",
        help="'scan' (default), 'clean' or 'clean,scan' (doubles the run time)",
    )
    ap.add_argument("--skew", type=float, default=0.6, help="degrees, scan condition")
    ap.add_argument("--noise", type=float, default=8.0, help="gaussian sigma, scan condition")
    ap.add_argument("--jpeg", type=int, default=70, help="JPEG quality, scan condition")
    ap.add_argument("--scanned-doc", default=SCANNED_DOC)
    ap.add_argument("--scanned-pages", default="1-8", help="'' to skip")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="OCR each page N times and keep the fastest (noisy machines)",
    )
    ap.add_argument(
        "--show-misses",
        type=int,
        default=0,
        metavar="N",
        help="print up to N missed numbers per engine and condition",
    )
    args = ap.parse_args(argv)

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
    specs = args.page or DEFAULT_PAGES
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2

    pages: list[tuple[str, pymupdf.Page]] = []
    docs = []
    for spec in specs:
        name, _, pspec = spec.rpartition(":")
        doc = pymupdf.open(args.corpus / name)
        docs.append(doc)
        for n in parse_pages(pspec):
            pages.append((f"{name[:12]}…p{n}", doc[n - 1]))

    load_avg = os.getloadavg()[0]
    load = {e: time_load(e, args.dpi) for e in engines}

    # Targets per condition: (label, original page, page given to OCR).
    scans = []
    results: dict[tuple[str, str], dict] = {}
    for cond in conditions:
        for i, (label, page) in enumerate(pages):
            if cond == "scan":
                sdoc = fake_scan(page, args.dpi, args.skew, args.noise, args.jpeg, seed=i)
                scans.append(sdoc)
                target = sdoc[0]
            else:
                target = page
            truth = truth_items(page)
            for eng in engines:
                words, dt, dc = timed_ocr(target, args.dpi, eng, args.repeat)
                sc = score_page(
                    truth, ocr_items(target, words), ocr_items(target, words, nfkc=False)
                )
                agg = results.setdefault((cond, eng), {"times": [], "cpu": [], "pages": []})
                agg["times"].append(dt)
                agg["cpu"].append(dc)
                agg["pages"].append((label, sc))

    print(
        f"dpi={args.dpi}  pages={len(pages)}  conditions={conditions}  repeat={args.repeat}  "
        f"scan: skew={args.skew}° noise σ={args.noise} jpeg q={args.jpeg}  "
        f"cpus={os.cpu_count()} loadavg at start={load_avg:.2f}"
    )
    print(
        f"\n{'condition':9} {'engine':10} {'num':>6} {'num@box':>8} {'num,':>6} {'raw':>6} "
        f"{'cjk_acc':>8} {'cjk_bag':>8} {'s/page':>7} {'median':>7} {'cpu-s':>6}  (n_num, n_cjk)"
    )
    for (cond, eng), agg in results.items():
        ps = [sc for _, sc in agg["pages"]]
        n_num = sum(s["n_num"] for s in ps) or 1
        n_cjk = sum(s["n_cjk"] for s in ps) or 1
        print(
            f"{cond:9} {eng:10} "
            f"{sum(s['exact'] for s in ps) / n_num:6.3f} "
            f"{sum(s['at_box'] for s in ps) / n_num:8.3f} "
            f"{sum(s['nocomma'] for s in ps) / n_num:6.3f} "
            f"{sum(s['raw'] for s in ps) / n_num:6.3f} "
            f"{1 - sum(s['ed'] for s in ps) / n_cjk:8.3f} "
            f"{sum(s['bag'] for s in ps) / n_cjk:8.3f} "
            f"{statistics.mean(agg['times']):7.2f} {statistics.median(agg['times']):7.2f} "
            f"{statistics.mean(agg['cpu']):6.2f}  ({n_num}, {n_cjk})"
        )
    print("\nper page (num@box / cjk_acc / seconds):")
    for (cond, eng), agg in results.items():
        cells = [
            f"{label}: {sc['at_box']}/{sc['n_num']} "
            f"{1 - sc['ed'] / max(sc['n_cjk'], 1):.2f} {t:.1f}s"
            for (label, sc), t in zip(agg["pages"], agg["times"], strict=True)
        ]
        print(f"  {cond:5} {eng:10} " + "; ".join(cells))
    if args.show_misses:
        for (cond, eng), agg in results.items():
            misses = [m for _, sc in agg["pages"] for m in sc["misses"]]
            print(f"\nmissed numbers, {cond}/{eng} ({len(misses)}):")
            for m in misses[: args.show_misses]:
                print("   ", m)

    if args.scanned_pages:
        sdoc = pymupdf.open(args.corpus / args.scanned_doc)
        nums = parse_pages(args.scanned_pages)
        print(
            f"\nscanned document {args.scanned_doc[:40]}… pages {args.scanned_pages} "
            f"(no text layer):"
        )
        for eng in engines:
            times, cpus, items, confs = [], [], 0, []
            for n in nums:
                words, dt, dc = timed_ocr(sdoc[n - 1], args.dpi, eng, args.repeat)
                times.append(dt)
                cpus.append(dc)
                items += len(words)
                confs += [w.conf for w in words]
            print(
                f"  {eng:10} s/page {statistics.mean(times):6.2f} "
                f"(median {statistics.median(times):.2f}, total {sum(times):.1f}s, "
                f"cpu-s/page {statistics.mean(cpus):.2f})  "
                f"items {items}  mean conf {statistics.mean(confs) if confs else 0:.3f}"
            )

    print("\nload on a small synthetic page (load = construct + first call - warm call):")
    for e, (first, warm) in load.items():
        print(f"  {e:10} construct+first {first:.2f}s  warm {warm:.2f}s  load {first - warm:.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
