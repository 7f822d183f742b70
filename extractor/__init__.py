"""Budget-disclosure extractor: PDF → typed, verified line items and indicators."""

__version__ = "0.1.0"
