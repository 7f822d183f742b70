"""Settings: `extractor.toml` (or --config) overridden by EXTRACTOR_* environment variables.

Passed down explicitly from the CLI; nothing reads settings from a global.
Nested keys use `__` in the environment: EXTRACTOR_LLM__BASE_URL, EXTRACTOR_LLM__API_KEY.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from extractor.errors import ExtractorError

DEFAULT_CONFIG_FILE = Path("extractor.toml")


class ConfigError(ExtractorError):
    """A configuration file that is missing or unreadable; the CLI exits with 2."""


class LLMSettings(BaseModel):
    base_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint; unset → the embedded local model"
    )
    api_key: SecretStr | None = None
    model: str | None = None
    mode: Literal["tools", "json_schema", "json"] | None = Field(
        default=None, description="structured-output mode; unset → chosen per endpoint"
    )
    timeout_s: float | None = Field(
        default=None, gt=0,
        description="seconds per request; unset → 120 for a configured endpoint, 600 for the embedded model on CPU",
    )
    max_retries: int = Field(default=4, description="transport retries (timeouts, 429, 5xx)")
    max_reasks: int = Field(default=1, description="validation re-asks per chunk")
    price_in: float = Field(default=0.0, ge=0, description="price per million prompt tokens (for cost estimates)")
    price_out: float = Field(default=0.0, ge=0, description="price per million answer tokens (for cost estimates)")
    currency: str = Field(default="CNY", description="the unit of price_in / price_out")
    down_after: int = Field(default=3, ge=1, description=(
        "chunks in a row whose every transport try failed before the endpoint is declared down for the run "
        "(its remaining model work is left pending)"))
    temperature: float = 0.0
    max_tokens: int = Field(default=1536, ge=16, description="cap on each answer's tokens")
    cache: bool = Field(default=True, description="reuse answers cached on disk for identical input")


class OCRSettings(BaseModel):
    engine: Literal["rapidocr", "tesseract"] = "rapidocr"
    dpi: int = Field(default=200, ge=72, le=600)
    by_cells: bool = Field(default=True, description="read ruled cells from their ink without the text detector")
    threads: int | None = Field(default=None, ge=1, description="pages of a document OCR'd at once (default: all cores)")


class RunSettings(BaseModel):
    strategy: Literal["grid", "llm", "auto", "both"] = "auto"
    token_budget: int | None = Field(default=None, ge=0, description="max tokens per run")
    workers: int | None = Field(default=None, ge=1, description="documents in parallel; unset → one per core")
    reviewer: str | None = Field(default=None, description="who decides in the correction queue (unset: the login name)")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="EXTRACTOR_", env_nested_delimiter="__", extra="forbid"
    )

    cache_dir: Path = Field(
        default_factory=lambda: Path.home() / ".cache" / "budget-extractor",
        description="answers cache, model weights and run state live under here",
    )
    llm: LLMSettings = Field(default_factory=LLMSettings)
    ocr: OCRSettings = Field(default_factory=OCRSettings)
    run: RunSettings = Field(default_factory=RunSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit arguments win, then the environment, then the TOML file.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def load_settings(config: Path | None = None) -> Settings:
    """Settings from `config` (must exist) or ./extractor.toml (if present) plus the environment."""
    path = config if config is not None else DEFAULT_CONFIG_FILE
    if config is not None and not config.is_file():
        raise ConfigError(f"config file not found: {config}")
    if path.is_file():
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc

    class _FromFile(Settings):
        model_config = SettingsConfigDict(toml_file=path if path.is_file() else None)

    return _FromFile()


def config_source(config: Path | None = None) -> Path | None:
    """The TOML file that `load_settings(config)` reads, if any."""
    path = config if config is not None else DEFAULT_CONFIG_FILE
    return path if path.is_file() else None


def masked(settings: Settings) -> dict[str, Any]:
    """Effective settings as plain data, secrets shown as '**********'."""
    return settings.model_dump(mode="json")
