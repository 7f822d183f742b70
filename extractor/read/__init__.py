"""Reading PDFs into pages of words and ruling lines; OCR for pages without text."""
