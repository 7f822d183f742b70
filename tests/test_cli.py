import json

from typer.testing import CliRunner

from extractor import __version__
from extractor.cli import app

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_help_at_every_level() -> None:
    for args in ([], ["config"], ["inspect"], ["validate"], ["config", "show"]):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0, args
        assert "Usage" in result.output


def test_usage_error_exits_2() -> None:
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2
    assert runner.invoke(app, ["inspect", "missing.pdf"]).exit_code == 2


def test_config_show_merges_file_and_env_and_masks_secrets(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "extractor.toml").write_text(
        '[llm]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "from-file"\napi_key = "sk-file-secret"\n', encoding="utf-8"
    )
    monkeypatch.setenv("EXTRACTOR_LLM__MODEL", "from-env")
    monkeypatch.setenv("EXTRACTOR_RUN__STRATEGY", "grid")
    result = runner.invoke(app, ["config", "show", "--format", "json"])
    assert result.exit_code == 0, result.output
    settings = json.loads(result.output)["settings"]
    assert settings["llm"]["base_url"] == "http://127.0.0.1:9/v1"
    assert settings["llm"]["model"] == "from-env"  # environment beats the file
    assert settings["run"]["strategy"] == "grid"
    assert "sk-file-secret" not in result.output
    assert settings["llm"]["api_key"] == "**********"
    toml = runner.invoke(app, ["config", "show"])
    assert toml.exit_code == 0 and "sk-file-secret" not in toml.output and 'model = "from-env"' in toml.output


def test_bad_config_exits_2(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[run]\nstrategy = 'guess'\n", encoding="utf-8")
    assert runner.invoke(app, ["config", "show", "--config", str(bad)]).exit_code == 2
    bad.write_text("not = [toml", encoding="utf-8")
    assert runner.invoke(app, ["config", "show", "--config", str(bad)]).exit_code == 2
    assert runner.invoke(app, ["config", "show", "--config", str(tmp_path / "none.toml")]).exit_code == 2


def test_inspect_broken_pdf_exits_1(tmp_path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nthis is not really a pdf")
    result = runner.invoke(app, ["inspect", str(broken)])
    assert result.exit_code == 1


def test_validate_reports_bad_files(tmp_path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"document": {"file": "a.pdf", "sha256": "0" * 64}, "line_items": [], "indicators": []}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"document": {"file": "a.pdf", "sha256": "short"}}))
    assert runner.invoke(app, ["validate", str(good)]).exit_code == 0
    assert runner.invoke(app, ["validate", str(good), str(bad)]).exit_code == 1
