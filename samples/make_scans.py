#!/usr/bin/env python3
"""Image-only "scanned" copies of any PDF, in the variants users meet.

Each page goes through `make_samples.scan_image` (flatbed scan: slight skew, soft
edges, grey paper, noise, dust), then the variant's change, then Pillow JPEG into an
image-only PDF. Deterministic: a fixed RNG seed per file and variant, no dates or
fresh /ID, so the same input gives the same bytes.

Variants:

  plain         the samples' scan (150 dpi grey, skew 0.3-0.8 degrees)
  upside_down   every page turned 180 degrees
  rot90         every page image turned a quarter (90 degrees counter-clockwise on the
                first page, clockwise on the second, and so on), as a sheet fed
                sideways: a portrait page becomes a landscape image
  skew3         skewed 2-3 degrees either way
  stamp         a red round seal (ring, star, name along the ring), semi-transparent,
                over the figures of a table (RGB scan)
  two_up        two consecutive pages side by side on one landscape sheet (2-up print,
                each page scaled to half the sheet, odd page on the left)
  low_contrast  faded: toner grey 140-170 on paper 215-230

Usage:
  python samples/make_scans.py IN.pdf... --out DIR [--variant NAME|all] [--dpi 150]
                               [--seed N] [--pages 1-9] [--quality 40 | --max-bytes N]
  python samples/make_scans.py --samples     # rebuild samples/000_<variant>.pdf

Output: DIR/<stem>_<variant>.pdf (plain: <stem>_scan.pdf).
"""

from __future__ import annotations

import argparse
import io
import math
import re
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pymupdf
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_samples import MAX_BYTES, SCAN_DPI, SCAN_QUALITIES, scan_image

HERE = Path(__file__).resolve().parent
VARIANTS = ("plain", "upside_down", "rot90", "skew3", "stamp", "two_up", "low_contrast")

# The committed variant samples: built from samples/000.pdf, one file per variant, each
# under MAX_BYTES. Pages 1-9 are the cover and the seven budget tables (all portrait);
# two_up puts them on five sheets (pages 1|2, 3|4, 5|6, 7|8, 9 alone).
SAMPLE_SOURCE = "000.pdf"
SAMPLE_PAGES = (1, 9)
SAMPLE_SEEDS = {"upside_down": 1101, "rot90": 1102, "skew3": 1103, "stamp": 1104, "two_up": 1105,
                "low_contrast": 1106}
SAMPLE_SEAL = "江油市司法局"

AMOUNT = re.compile(r"^-?[\d,]+\.\d+$")
RED = np.array([0.85, 0.12, 0.16], dtype=np.float32)  # red seal ink as reflectance per channel


# ----------------------------------------------------------------------------- seal


def seal_mask(size_px: int, text: str, rng: np.random.Generator) -> np.ndarray:
    """Ink coverage 0..1 (size_px square) of a round official seal: a ring, a five-
    pointed star, `text` set along the upper arc, uneven ink."""
    doc = pymupdf.open()
    s = 120.0  # points: a 42 mm seal
    page = doc.new_page(width=s, height=s)
    c = pymupdf.Point(s / 2, s / 2)
    r_out = s / 2 - 2
    shape = page.new_shape()
    shape.draw_circle(c, r_out - 1.6)
    shape.finish(color=(0, 0, 0), width=3.2)
    star_r = 17.0
    pts = []
    for k in range(10):
        a = math.radians(-90 + 36 * k)
        r = star_r if k % 2 == 0 else star_r * 0.38
        pts.append(pymupdf.Point(c.x + r * math.cos(a), c.y + r * math.sin(a)))
    shape.draw_polyline(pts + [pts[0]])
    shape.finish(color=(0, 0, 0), fill=(0, 0, 0), width=0.3, closePath=True)
    shape.commit()
    size = 15.0
    r_text = r_out - 5 - size * 0.55
    span = min(250.0, 28.0 * len(text))  # degrees of the arc the name covers
    for i, ch in enumerate(text):
        deg = -span / 2 + span * (i + 0.5) / len(text)  # 0 = top, clockwise
        a = math.radians(deg - 90)
        centre = pymupdf.Point(c.x + r_text * math.cos(a), c.y + r_text * math.sin(a))
        origin = pymupdf.Point(centre.x - size / 2, centre.y + size * 0.36)
        page.insert_text(origin, ch, fontname="china-s", fontsize=size, color=(0, 0, 0),
                         morph=(centre, pymupdf.Matrix(deg)))
    pix = page.get_pixmap(matrix=pymupdf.Matrix(size_px / s, size_px / s), colorspace=pymupdf.csGRAY,
                          alpha=False)
    ink = 1.0 - np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width) / 255.0
    n = 8
    blotch = rng.uniform(0.55, 1.0, (n, n)).astype(np.float32)  # a seal never inks evenly
    blotch = np.asarray(Image.fromarray(blotch).resize((pix.width, pix.height), Image.BILINEAR))
    return (ink * blotch).astype(np.float32)


def seal_tint(page: pymupdf.Page, dpi: int, rng: np.random.Generator, text: str) -> np.ndarray:
    """The RGB factor of a red seal pressed over the page's figures (over an amount picked
    at random; lower right of the text when the page prints none)."""
    zoom = dpi / 72.0
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    w, h = pix.width, pix.height
    words = page.get_text("words")
    amounts = [wd for wd in words if AMOUNT.match(wd[4])]
    if amounts:
        x0, y0, x1, y1 = amounts[int(rng.integers(len(amounts)))][:4]
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    elif words:
        cx, cy = max(wd[2] for wd in words) - 70, max(wd[3] for wd in words) - 50
    else:
        cx, cy = page.rect.width * 0.7, page.rect.height * 0.7
    cx += float(rng.uniform(-20, 20))
    cy += float(rng.uniform(-15, 15))
    size = round(120 * zoom)
    mask = seal_mask(size, text, rng)
    opacity = float(rng.uniform(0.7, 0.85))
    full = np.zeros((h, w), dtype=np.float32)
    left, top = round(cx * zoom) - size // 2, round(cy * zoom) - size // 2
    left = min(max(left, 0), max(w - size, 0))
    top = min(max(top, 0), max(h - size, 0))
    full[top : top + size, left : left + size] = mask[: h - top, : w - left]
    return 1.0 - opacity * full[:, :, None] * (1.0 - RED)


# ----------------------------------------------------------------------------- variants


def two_up_sheets(src: pymupdf.Document) -> pymupdf.Document:
    """Pages two by two on landscape sheets (the first page's size turned), each page
    scaled to fit its half: a 2-up print. An odd last page sits alone on the left."""
    w, h = src[0].rect.width, src[0].rect.height
    sheet_w, sheet_h = max(w, h), min(w, h)
    out = pymupdf.open()
    for i in range(0, src.page_count, 2):
        sheet = out.new_page(width=sheet_w, height=sheet_h)
        for k in range(2):
            if i + k < src.page_count:
                half = pymupdf.Rect(k * sheet_w / 2, 0, (k + 1) * sheet_w / 2, sheet_h)
                sheet.show_pdf_page(half, src, i + k)
    return out


def scan_page(page: pymupdf.Page, variant: str, rng: np.random.Generator, dpi: int,
              seal_text: str, index: int = 0) -> Image.Image:
    """One scanned page (or sheet, the index-th) of the variant."""
    if variant == "skew3":
        return scan_image(page, rng, dpi, skew=(2.0, 3.0))
    if variant == "low_contrast":
        ink, paper = float(rng.uniform(140, 170)), float(rng.uniform(215, 230))
        return scan_image(page, rng, dpi, ink=ink, paper=paper)
    if variant == "stamp":
        return scan_image(page, rng, dpi, tint=seal_tint(page, dpi, rng, seal_text))
    img = scan_image(page, rng, dpi)
    if variant == "upside_down":
        return img.transpose(Image.Transpose.ROTATE_180)
    if variant == "rot90":
        # counter-clockwise on even pages, clockwise on odd ones
        return img.transpose(Image.Transpose.ROTATE_90 if index % 2 == 0 else Image.Transpose.ROTATE_270)
    return img  # plain, two_up (the sheets are made before)


def images_pdf(images: list[Image.Image], sizes: list[tuple[float, float]], quality: int) -> bytes:
    out = pymupdf.open()
    for img, (w, h) in zip(images, sizes):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality, optimize=True, progressive=True)
        page = out.new_page(width=w, height=h)
        page.insert_image(page.rect, stream=buf.getvalue())
    out.set_metadata({})
    return out.tobytes(garbage=4, deflate=True, no_new_id=True)


def parse_pages(spec: str | None, n: int) -> list[int]:
    """0-based page indices of '3', '1-9', '2,5-7' (1-based, inclusive); all when None."""
    if not spec:
        return list(range(n))
    out: list[int] = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        lo, hi = int(a), int(b or a)
        out.extend(p - 1 for p in range(lo, hi + 1) if 1 <= p <= n)
    return out


def make_variant(src_path: Path, out_path: Path, variant: str, seed: int, dpi: int = SCAN_DPI,
                 pages: str | None = None, quality: int | None = 40, max_bytes: int | None = None,
                 seal_text: str = "预算编制审核专用章") -> dict[str, Any]:
    """Write the variant of src_path; returns what was made (pages, dpi, JPEG quality)."""
    if variant not in VARIANTS:
        raise SystemExit(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")
    src = pymupdf.open(src_path)
    src.select(parse_pages(pages, src.page_count))
    if variant == "two_up":
        src = two_up_sheets(src)
    rng = np.random.default_rng(seed)
    images = [scan_page(page, variant, rng, dpi, seal_text, i) for i, page in enumerate(src)]
    # each image on a page of its source page's size (turned, where the image is)
    sizes = [(p.rect.width, p.rect.height) if (img.width > img.height) == (p.rect.width > p.rect.height)
             else (p.rect.height, p.rect.width) for p, img in zip(src, images)]
    if max_bytes is None:
        data = images_pdf(images, sizes, quality or 40)
        used = quality or 40
    else:
        for used in SCAN_QUALITIES:
            data = images_pdf(images, sizes, used)
            if len(data) < max_bytes:
                break
    out_path.write_bytes(data)
    return {"variant": variant, "pages": len(images), "dpi": dpi, "jpeg_quality": used,
            "seed": seed, "bytes": len(data)}


def default_seed(stem: str, variant: str) -> int:
    return zlib.crc32(f"{stem}:{variant}".encode())


def make_samples(out: Path = HERE) -> None:
    """The committed variant samples, samples/000_<variant>.pdf."""
    lo, hi = SAMPLE_PAGES
    for variant, seed in SAMPLE_SEEDS.items():
        path = out / f"{Path(SAMPLE_SOURCE).stem}_{variant}.pdf"
        made = make_variant(HERE / SAMPLE_SOURCE, path, variant, seed, pages=f"{lo}-{hi}",
                            quality=None, max_bytes=MAX_BYTES, seal_text=SAMPLE_SEAL)
        print(f"{path.name}: {made['pages']} pages, {made['bytes']:,} bytes, JPEG quality {made['jpeg_quality']}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pdfs", nargs="*", type=Path)
    ap.add_argument("--out", type=Path, help="output folder")
    ap.add_argument("--variant", default="plain", help=f"one of {', '.join(VARIANTS)}, a comma list, or all")
    ap.add_argument("--dpi", type=int, default=SCAN_DPI)
    ap.add_argument("--seed", type=int, help="RNG seed (default: from the file name and variant)")
    ap.add_argument("--pages", help="pages to keep, 1-based: 1-9 or 2,5-7 (default all)")
    ap.add_argument("--quality", type=int, default=40, help="JPEG quality (default 40)")
    ap.add_argument("--max-bytes", type=int, help="instead of --quality: the best of "
                    f"{SCAN_QUALITIES} that keeps each file under this size")
    ap.add_argument("--seal-text", default="预算编制审核专用章", help="the stamp variant's name on the ring")
    ap.add_argument("--samples", action="store_true", help="rebuild samples/000_<variant>.pdf")
    args = ap.parse_args(argv)
    if args.samples:
        make_samples(args.out or HERE)
        return
    if not args.pdfs or args.out is None:
        ap.error("give PDFs and --out (or --samples)")
    variants = list(VARIANTS) if args.variant == "all" else args.variant.split(",")
    args.out.mkdir(parents=True, exist_ok=True)
    for pdf in args.pdfs:
        for variant in variants:
            name = f"{pdf.stem}_{'scan' if variant == 'plain' else variant}.pdf"
            seed = args.seed if args.seed is not None else default_seed(pdf.stem, variant)
            made = make_variant(pdf, args.out / name, variant, seed, args.dpi, args.pages, args.quality,
                                args.max_bytes, args.seal_text)
            print(f"{name}: {made['pages']} pages, {made['bytes']:,} bytes, JPEG quality "
                  f"{made['jpeg_quality']}, seed {seed}")


if __name__ == "__main__":
    main()
