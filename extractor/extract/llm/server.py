"""The embedded model: a llama.cpp OpenAI-compatible server on 127.0.0.1, owned by the run.

Started on a free port, waited on until it answers, and stopped when the run ends:
normally, on Ctrl-C, or on a crash (the context manager's exit, plus an atexit hook
for paths that skip it). Its output goes to a log file under the cache directory.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from extractor.errors import ExtractorError


class ServerError(ExtractorError):
    """The embedded server could not be started or did not answer in time."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedServer:
    """`with EmbeddedServer(model_path, log) as base_url:` serves the model while inside."""

    def __init__(self, model: Path, log: Path, n_ctx: int = 8192, threads: int | None = None,
                 startup_timeout_s: float = 180.0) -> None:
        self.model = model
        self.log = log
        self.n_ctx = n_ctx
        self.threads = threads or max(1, os.cpu_count() or 1)
        self.startup_timeout_s = startup_timeout_s
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> str:
        try:
            import llama_cpp.server  # noqa: F401  - only to fail early with a clear message
        except ImportError as exc:
            raise ServerError(
                "the embedded model needs llama-cpp-python with its server: "
                "pip install 'llama-cpp-python[server]' (or configure [llm] base_url)"
            ) from exc
        self.port = free_port()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable, "-m", "extractor.extract.llm.serve",  # llama_cpp.server, AMX-safe
            "--model", str(self.model), "--host", "127.0.0.1", "--port", str(self.port),
            "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads),
        ]
        with self.log.open("ab") as log:
            # its own process group, so a Ctrl-C in the terminal reaches us, and we stop it
            self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        atexit.register(self.stop)
        self._wait()
        return self.base_url

    def _wait(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise ServerError(f"embedded server exited with {self._proc.returncode}; see {self.log}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise ServerError(f"embedded server did not answer within {self.startup_timeout_s:.0f}s; see {self.log}")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
