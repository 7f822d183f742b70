"""`extractor review`: the correction queue in the browser (FastAPI, server-rendered Jinja,
keyboard first, no build step). It serves the queue's items, the pages of the PDFs the
queue names and nothing else, on 127.0.0.1 unless told otherwise."""
