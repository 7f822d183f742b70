"""Versioned prompt templates from `prompts/<task>/<version>.md` (## system / ## user)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined

from extractor.errors import ExtractorError

PROMPTS_DIR = Path(__file__).resolve().parents[3] / "prompts"
_SECTION = re.compile(r"^## (system|user)\s*$", re.MULTILINE)
_ENV = Environment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)


class PromptError(ExtractorError):
    """A prompt template that is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Prompt:
    task: str
    version: str
    system: str
    user: str

    @property
    def id(self) -> str:
        return f"{self.task}/{self.version}"

    def messages(self, **values: Any) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": _ENV.from_string(self.user).render(**values).strip()},
        ]


def versions(task: str, folder: Path = PROMPTS_DIR) -> list[str]:
    found = sorted((folder / task).glob("v*.md"), key=lambda p: int(p.stem[1:]) if p.stem[1:].isdigit() else 0)
    return [p.stem for p in found]


def load(task: str, version: str | None = None, folder: Path = PROMPTS_DIR) -> Prompt:
    """The named version, or the newest one when version is None."""
    available = versions(task, folder)
    if not available:
        raise PromptError(f"no prompt templates for task {task!r} under {folder}")
    version = version or available[-1]
    path = folder / task / f"{version}.md"
    if not path.is_file():
        raise PromptError(f"prompt {task}/{version} not found; available: {', '.join(available)}")
    parts = _SECTION.split(path.read_text(encoding="utf-8"))
    sections = dict(zip(parts[1::2], (p.strip() for p in parts[2::2])))
    if set(sections) != {"system", "user"}:
        raise PromptError(f"{path}: needs exactly a '## system' and a '## user' section")
    return Prompt(task, version, sections["system"], sections["user"])
