"""OCR for pages without a text layer.

`ocr_page` renders a PyMuPDF page at `dpi`, runs an offline OCR engine on the
image and returns `OcrWord`s whose boxes are in PDF points in the same space as
`page.get_text("words")` (unrotated page coordinates, relative to the crop box),
so OCR words and text-layer words can be handled by the same code.

Engines:

* ``"rapidocr"`` (default): RapidOCR 3.x on onnxruntime with the PP-OCR models
  that ship inside the ``rapidocr`` wheel (det/rec PP-OCRv6 small; the 180°
  classifier is switched off); nothing is downloaded at run time. Returns one
  item per detected *text line*; a line may span several adjacent table cells
  when the detector bridges a ruling line (e.g. ``"1,935.36一、基本支出"``), so
  callers that need cells should split lines at the page's vertical rules.
  Text is returned as recognised (full-width ``：`` ``（`` kept; NFKC it if needed).
* ``"tesseract"`` (fallback): the ``tesseract`` binary with ``chi_sim`` data
  (Debian: ``tesseract-ocr tesseract-ocr-chi-sim``), via its TSV output. Its
  words are joined into phrases when the gap between them is small, so a number
  split as ``1, 517. 95`` comes back as ``1,517.95``.

Engines are created lazily by a cached factory (`get_engine`): importing this
module loads nothing. Creating the RapidOCR engine sets ORT_DISABLE_TELEMETRY=1
(unless set), which only helps if onnxruntime is not imported yet (see _RapidOcr).
"""

from __future__ import annotations

import csv
import functools
import io
import math
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

from extractor.errors import ExtractorError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pymupdf

ENGINES = ("rapidocr", "tesseract")
DEFAULT_ENGINE = "rapidocr"
DEFAULT_DPI = 200


class OcrUnavailable(ExtractorError, RuntimeError):
    """The requested OCR engine (or its model data) is not installed."""


@dataclass(frozen=True)
class OcrWord:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float  # PDF points, page coordinates (same space as page.get_text("words"))
    conf: float  # 0..1


# The characters a recogniser weighed for one read character, likeliest first, with their
# probabilities; "" is "no character here" (CTC's blank).
Candidates = tuple[tuple[str, float], ...]


class PixelItem(NamedTuple):
    """A text line found and read in an image: its text, axis-aligned box (x0, y0, x1, y1)
    in the image's pixels, confidence and, where the engine tells, each character's
    candidates."""

    text: str
    box: tuple[float, float, float, float]
    conf: float
    alts: tuple[Candidates, ...] = ()


class Recognised(NamedTuple):
    """One line read: its text, the mean confidence of its characters and, where the
    engine tells, each character's candidates (`alts[i]` for `text[i]`)."""

    text: str
    conf: float
    alts: tuple[Candidates, ...] = ()


class _Engine(Protocol):
    def __call__(self, pix: "pymupdf.Pixmap") -> list[PixelItem]: ...

    def detect(self, image: "np.ndarray") -> list[PixelItem]:
        """Text lines found and read in a 3-channel image (BGR), boxes in its pixels."""
        ...

    def recognise(self, crops: list["np.ndarray"]) -> list[Recognised]:
        """The text of each crop (one line of text each, 3-channel), with a confidence."""
        ...


# --------------------------------------------------------------------------- RapidOCR


class _RapidOcr:
    TEXT_SCORE = 0.5  # RapidOCR's own floor: a line read less surely is dropped

    def __init__(self) -> None:
        # onnxruntime 1.32's Linux wheel records telemetry (~/.cache/Microsoft/
        # DeveloperTools/.onnxruntime/onnxruntime.db) and, seconds after start,
        # looks up its collector host to upload it. Only this variable, present
        # when onnxruntime is first imported, turns that off. NB: `import pymupdf`
        # already imports onnxruntime when pymupdf_layout is installed, so set it
        # before pymupdf is first imported (package __init__ / environment); this
        # line only covers processes where that has not happened yet.
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise OcrUnavailable(
                "OCR engine 'rapidocr' is not installed: pip install rapidocr onnxruntime"
            ) from exc
        # The default config resolves to the models bundled in the wheel
        # (rapidocr/models/*.onnx, checked by SHA-256 so no download happens);
        # the recogniser's character dictionary is embedded in the ONNX metadata.
        # The 180° line classifier is off: pages are rendered upright (page
        # rotation applied) and on budget tables it flips short cells ("99" read
        # as "66", "0.00" as "000").
        self._ocr = RapidOCR(params={
            "Global.log_level": "error", "Global.use_cls": False,  # not "the detection result is empty" per blank band
            # Detect at the image's own size, shrunk only past 2000 px (as the whole page always
            # was): the default ("min" 736) blows a 100 px strip of a page up to 736 px high.
            "Det.limit_type": "max", "Det.limit_side_len": 2000,
            # One thread a call: `read_pdf` runs a document's pages on all cores at once,
            # which keeps them busier than one page on several threads (about 1.6 cores).
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        })

    def __call__(self, pix: "pymupdf.Pixmap") -> list[PixelItem]:
        import numpy as np

        rgb = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, 3)
        return self.detect(np.ascontiguousarray(rgb[:, :, ::-1]))  # ndarray input is taken as BGR

    def recognise(self, crops: list["np.ndarray"]) -> list[Recognised]:
        """Crops read in batches of like width (as RapidOCR batches them), decoded here so
        that each character keeps the candidates the recogniser weighed for it."""
        import numpy as np

        if not crops:
            return []
        rec = self._ocr._load_rec_model()
        _, height, width = rec.rec_image_shape[:3]
        ratios = [c.shape[1] / c.shape[0] for c in crops]
        order = np.argsort(ratios, kind="stable")
        out: list[Recognised] = [Recognised("", 0.0)] * len(crops)
        for start in range(0, len(crops), rec.rec_batch_num):
            batch = order[start : start + rec.rec_batch_num]
            widest = max(width / height, *(ratios[i] for i in batch))
            images = np.concatenate([rec.resize_norm_img(crops[i], widest)[None] for i in batch]).astype(np.float32)
            for i, probs in zip(batch, rec.session(images), strict=True):
                out[i] = ctc_decode(probs, rec.postprocess_op.character)
        return out

    def detect(self, image: "np.ndarray") -> list[PixelItem]:
        # The detector scales the longer side to at most 2000 px and each side to a multiple
        # of 32: a strip thinner than 16 px after that becomes 0 px and fails. It holds no line.
        if min(image.shape[:2]) * min(1.0, 2000 / max(image.shape[:2])) < 16:
            return []
        if image.ndim == 2:
            import numpy as np

            image = np.ascontiguousarray(np.repeat(image[:, :, None], 3, axis=2))
        from rapidocr.utils.process_img import get_rotate_crop_image

        # The detector finds the lines; they are read here, as cells are, so that each
        # character keeps its candidates (RapidOCR's own pass crops and reads them alike).
        found = self._ocr(image, use_rec=False)
        quads = [q for q in (found.boxes if found.boxes is not None else []) if not _tilted(q)]
        read = self.recognise([get_rotate_crop_image(image, q.copy()) for q in quads])
        items: list[PixelItem] = []
        for quad, r in zip(quads, read, strict=True):
            if not r.text.strip() or r.conf < self.TEXT_SCORE:
                continue
            xs = [float(p[0]) for p in quad]
            ys = [float(p[1]) for p in quad]
            items.append(PixelItem(r.text, (min(xs), min(ys), max(xs), max(ys)), r.conf, r.alts))
        return items


def ctc_decode(probs: "np.ndarray", charset: Sequence[str], keep: int = 4) -> Recognised:
    """Greedy CTC decoding of one line's per-step probabilities (steps × classes, class 0
    the blank): repeats collapsed, blanks dropped, the confidence the mean of the read
    characters' probabilities (RapidOCR's own rule), and each character's `keep` likeliest
    candidates at the step it was read."""
    import numpy as np

    best = probs.argmax(axis=1)
    steps = [t for t in range(len(best)) if best[t] != 0 and (t == 0 or best[t] != best[t - 1])]
    if not steps:
        return Recognised("", 0.0)
    text = "".join(charset[best[t]] for t in steps)
    conf = float(np.mean([probs[t, best[t]] for t in steps]))
    rows = probs[steps]
    top = np.argpartition(-rows, keep, axis=1)[:, :keep]  # the `keep` likeliest, unordered
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(rows, top, axis=1), axis=1), axis=1)
    alts = tuple(
        tuple((charset[j] if j else "", round(float(row[j]), 3)) for j in ranks)
        for row, ranks in zip(rows, top, strict=True)
    )
    return Recognised(text, conf, alts)


# -------------------------------------------------------------------------- Tesseract


def _tilted(quad: Sequence[Sequence[float]], limit_deg: float = 10.0) -> bool:
    """Text set at an angle is a watermark or a stamp ("仅供内部审核" at -29°), not a cell's:
    its axis-aligned box would spread it over many cells."""
    (x0, y0), (x1, y1) = quad[0][:2], quad[1][:2]
    return abs(math.degrees(math.atan2(y1 - y0, x1 - x0))) > limit_deg


class _Tesseract:
    # Join neighbouring words of one line when the gap is below this many line heights.
    JOIN_GAP = 1.0

    def __init__(self, lang: str = "chi_sim", psm: int = 3) -> None:
        exe = shutil.which("tesseract")
        if exe is None:
            raise OcrUnavailable(
                "OCR engine 'tesseract' is not installed: apt-get install tesseract-ocr "
                "tesseract-ocr-chi-sim (the binary is called through its TSV output)"
            )
        langs = subprocess.run(
            [exe, "--list-langs"], capture_output=True, text=True, check=False
        ).stdout.split()
        if lang not in langs:
            raise OcrUnavailable(
                f"tesseract has no '{lang}' data: apt-get install tesseract-ocr-chi-sim"
            )
        self._cmd = [exe, "stdin", "stdout", "-l", lang, "--psm", str(psm), "tsv"]

    def __call__(self, pix: "pymupdf.Pixmap") -> list[PixelItem]:
        return self._items(pix.tobytes("png"))

    def detect(self, image: "np.ndarray") -> list[PixelItem]:
        return self._items(_png(image))

    def recognise(self, crops: list["np.ndarray"]) -> list[Recognised]:
        """Each crop read as one line of text (page segmentation mode 7)."""
        cmd = [*self._cmd[:-3], "--psm", "7", "tsv"]
        out = []
        for crop in crops:
            items = self._items(_png(crop), cmd)
            text = "".join(t for t, _, _ in items)
            out.append(Recognised(text, min((c for _, _, c in items), default=0.0)))
        return out

    def _items(self, png: bytes, cmd: list[str] | None = None) -> list[PixelItem]:
        proc = subprocess.run(cmd or self._cmd, input=png, capture_output=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"tesseract failed: {proc.stderr.decode(errors='replace')}")
        rows = csv.DictReader(
            io.StringIO(proc.stdout.decode("utf-8", errors="replace")),
            delimiter="\t",
            quoting=csv.QUOTE_NONE,
        )
        lines: dict[tuple[str, str, str, str], list[dict[str, str]]] = {}
        for row in rows:
            if row.get("level") != "5" or not (row.get("text") or "").strip():
                continue
            key = (row["page_num"], row["block_num"], row["par_num"], row["line_num"])
            lines.setdefault(key, []).append(row)
        items: list[PixelItem] = []
        for words in lines.values():
            words.sort(key=lambda r: int(r["left"]))
            height = max(int(r["height"]) for r in words)
            group: list[dict[str, str]] = []
            for row in words:
                if group:
                    prev = group[-1]
                    gap = int(row["left"]) - (int(prev["left"]) + int(prev["width"]))
                    if gap > self.JOIN_GAP * height:
                        items.append(self._merge(group))
                        group = []
                group.append(row)
            if group:
                items.append(self._merge(group))
        return items

    @staticmethod
    def _merge(group: list[dict[str, str]]) -> PixelItem:
        text = "".join(r["text"].strip() for r in group)
        x0 = min(int(r["left"]) for r in group)
        y0 = min(int(r["top"]) for r in group)
        x1 = max(int(r["left"]) + int(r["width"]) for r in group)
        y1 = max(int(r["top"]) + int(r["height"]) for r in group)
        conf = min(max(float(r["conf"]), 0.0) for r in group) / 100.0
        return PixelItem(text, (float(x0), float(y0), float(x1), float(y1)), conf)


def _png(image: "np.ndarray") -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "PNG")
    return buf.getvalue()


# ---------------------------------------------------------------------------- public


@functools.lru_cache(maxsize=None)
def get_engine(engine: str = DEFAULT_ENGINE) -> _Engine:
    """The engine instance for `engine`, created once per process and reused."""
    if engine == "rapidocr":
        return _RapidOcr()
    if engine == "tesseract":
        return _Tesseract()
    raise ValueError(f"unknown OCR engine {engine!r}; expected one of {ENGINES}")


def ocr_page(
    page: "pymupdf.Page", dpi: int = DEFAULT_DPI, engine: str = DEFAULT_ENGINE
) -> list[OcrWord]:
    """OCR `page` rendered at `dpi`; boxes in page points, unrotated like get_text("words")."""
    import pymupdf

    ocr = get_engine(engine)
    # The pixmap shows the page as displayed (rotation applied, crop box origin at 0,0).
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csRGB, alpha=False)
    # pixels -> displayed points -> unrotated page points (the space of get_text()).
    to_page = pymupdf.Matrix(72.0 / dpi, 72.0 / dpi) * page.derotation_matrix
    out: list[OcrWord] = []
    for text, (x0, y0, x1, y1), conf, _ in ocr(pix):
        r = pymupdf.Rect(x0, y0, x1, y1) * to_page  # Rect * Matrix: bounding box of image
        out.append(OcrWord(text, r.x0, r.y0, r.x1, r.y1, conf))
    return out
