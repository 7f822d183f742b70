"""Budget-disclosure extractor: PDF → typed, verified line items and indicators."""

import os

# onnxruntime (RapidOCR's engine, also imported by pymupdf_layout) sends usage telemetry
# unless this is set before its first import; this tool makes no network calls of its own.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

__version__ = "0.1.0"
