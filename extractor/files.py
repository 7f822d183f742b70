"""Files written whole or not at all: a temporary file beside the target, flushed to disk,
renamed over it. A reader, or a resume after a kill, sees the old file or the new one,
never half of one. Outputs, the run state, learned layouts and the datasets use it.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A path beside `target` (not yet existing) to write to; on a clean exit it is synced
    and renamed over `target`, on an error removed. Its name, `.<target name>.<pid>.tmp`,
    marks it as a write in progress."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


TEMP_NAME = re.compile(r"^\..+\.\d+\.tmp(\.wal)?$")  # .wal: a DuckDB file's log


def stale_writes(folder: Path) -> list[Path]:
    """The temporary files writes that were killed left under `folder` (never trusted)."""
    return [p for p in folder.rglob(".*.tmp*") if p.is_file() and TEMP_NAME.match(p.name)]


def write_atomic(target: Path, text: str) -> None:
    """`text` into `target`, whole or not at all."""
    with replacing(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
