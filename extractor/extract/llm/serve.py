"""`python -m extractor.extract.llm.serve ARGS` runs llama-cpp-python's OpenAI-compatible
server (same arguments as `python -m llama_cpp.server`), with one fix: on CPUs with AMX
(Intel Sapphire Rapids and later) llama.cpp's extra CPU buffer types (AMX weight
repacking) crash the process with a general protection fault on the first prompt of more
than one token, in containers that do not grant AMX tile state. There they are turned
off; everything else is llama_cpp.server as shipped.
"""

from __future__ import annotations

from pathlib import Path


def cpu_has_amx(cpuinfo: str) -> bool:
    """Does /proc/cpuinfo's text list AMX tiles?"""
    return any(line.startswith("flags") and "amx_tile" in line.split() for line in cpuinfo.splitlines())


def _without_extra_buffers() -> None:
    import llama_cpp.llama_cpp as low

    defaults = low.llama_model_default_params
    if not any(name == "use_extra_bufts" for name, *_ in low.llama_model_params._fields_):
        return  # an older llama.cpp without extra buffer types

    def params():  # type: ignore[no-untyped-def]
        p = defaults()
        p.use_extra_bufts = False
        return p

    low.llama_model_default_params = params


def main() -> None:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists() and cpu_has_amx(cpuinfo.read_text(errors="replace")):
        _without_extra_buffers()
    from llama_cpp.server.__main__ import main as serve

    serve()


if __name__ == "__main__":
    main()
