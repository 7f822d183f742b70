from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SEEDS = SHARED / "seeds"
GOLD = ROOT / "eval" / "gold"
SAMPLES = ROOT / "samples"


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    return CORPUS


# --- the model, recorded and replayed -------------------------------------------------
# Tests never need a network or a model: LLM traffic is replayed from tests/cassettes/.
# Re-record (starts the embedded server with the default local model):
#     EXTRACTOR_RECORD=1 .venv/bin/python -m pytest tests/test_end_to_end.py tests/test_llm.py
import contextlib  # noqa: E402
import os  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import vcr  # noqa: E402

CASSETTES = ROOT / "tests" / "cassettes"
RECORD = os.environ.get("EXTRACTOR_RECORD") == "1"
REPLAY_URL = "http://127.0.0.1:9/v1"  # nothing listens there: replay or fail

recorder = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="all" if RECORD else "none",
    match_on=["method", "path", "body"],  # the embedded server's port changes per run
    filter_headers=["authorization", "api-key", "x-api-key", "openai-organization", "cookie"],
    decode_compressed_response=True,
)


@pytest.fixture(scope="session")
def llm_base_url() -> Iterator[str]:
    """A live embedded server when recording, an address nobody answers when replaying."""
    if not RECORD:
        yield REPLAY_URL
        return
    from extractor.config import load_settings
    from extractor.extract.llm import models
    from extractor.extract.llm.server import EmbeddedServer

    settings = load_settings()
    spec = models.spec_for(models.DEFAULT_MODEL)
    path = models.ensure_verified(settings.cache_dir, spec)
    with EmbeddedServer(path, settings.cache_dir / "logs" / "record-server.log") as url:
        yield url


@pytest.fixture
def cassette(request: pytest.FixtureRequest) -> Iterator[None]:
    name = f"{request.node.name}.yaml"
    if not RECORD and not (CASSETTES / name).is_file():
        pytest.skip(f"no cassette {name} yet; record it with EXTRACTOR_RECORD=1 (see tests/conftest.py)")
    with recorder.use_cassette(name):
        yield


@pytest.fixture
def model(llm_base_url: str, cassette: None):  # type: ignore[no-untyped-def]
    """The model side of a run, against the recorded embedded server, without a disk cache."""
    from extractor.config import LLMSettings
    from extractor.extract.llm import models, prompts
    from extractor.extract.llm.client import Endpoint, LLMClient
    from extractor.extract.llm.usage import Ledger
    from extractor.extract.strategies import Model

    settings = LLMSettings(max_retries=0, max_reasks=1)
    endpoint = Endpoint(llm_base_url, models.DEFAULT_MODEL, "embedded", "json")
    client = LLMClient(endpoint, settings, Ledger(), cache_dir=None)
    yield Model(client, {t: prompts.load(t, "v1") for t in ("indicators", "line_items", "layout", "segment")})
    client.close()


with contextlib.suppress(ImportError):  # keep vcrpy's own logging quiet in test output
    import logging

    logging.getLogger("vcr").setLevel(logging.WARNING)
