from extractor.cli import app

app()
