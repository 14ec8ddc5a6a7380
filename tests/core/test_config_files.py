"""One YAML loader for every configuration file: errors name the file, the field and the fix."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field

from activation.export_config import ExportConfigError, load_exports_config
from api.console.auth import UserError, load_users
from api.keys import ApiKeyError, load_keys
from cdp.orchestration import OrchestrationError
from core.config_files import ConfigError, load_yaml_model
from expectations._config import QualityConfigError, load_quality_config
from identity._config import IdentityConfigError, load_identity_config, load_identity_mappings
from ingestion.definitions import DefinitionError, load_definition
from voice.config import load_feedback_config


class Port(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: int = Field(ge=1)


class Server(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "api"
    ports: list[Port] = []


def test_a_valid_file_becomes_the_model_and_a_missing_one_its_defaults(tmp_path):
    path = tmp_path / "server.yml"
    path.write_text("name: console\nports:\n  - number: 8600\n", encoding="utf-8")
    assert load_yaml_model(path, Server) == Server(name="console", ports=[Port(number=8600)])
    assert load_yaml_model(tmp_path / "absent.yml", Server) == Server()


def test_a_missing_required_file_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match=r"absent\.yml: file not found; set CDP_X"):
        load_yaml_model(tmp_path / "absent.yml", Server, missing="set CDP_X")


def test_a_wrong_field_is_named_by_its_path_in_the_file(tmp_path):
    path = tmp_path / "server.yml"
    path.write_text("ports:\n  - number: 8600\n  - number: 0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_yaml_model(path, Server, hint="see config/server.yml")
    message = str(raised.value)
    assert message.startswith(f"{path}: ports.1.number: Input should be greater than or equal")
    assert message.endswith("Fix the file and re-run (see config/server.yml).")


@pytest.mark.parametrize(
    ("text", "problem"),
    [("ports: [unclosed", "not valid YAML"), ("- a\n- b\n", "expected a mapping")],
)
def test_a_file_that_is_not_a_mapping_of_settings_is_refused(tmp_path, text, problem):
    path = tmp_path / "server.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=problem):
        load_yaml_model(path, Server)


def test_every_configuration_file_reports_through_the_same_loader(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("unknown_setting: 1\n", encoding="utf-8")
    loaders = [
        (lambda: load_identity_config(bad), IdentityConfigError),
        (lambda: load_exports_config(bad), ExportConfigError),
        (lambda: load_quality_config(bad), QualityConfigError),
        (lambda: load_feedback_config(bad), ConfigError),
        (lambda: load_definition(bad), DefinitionError),
        (lambda: load_keys(bad), ApiKeyError),
        (lambda: load_users(bad), UserError),
    ]
    for load, error in loaders:
        with pytest.raises(error, match=rf"{bad}: .*unknown_setting") as raised:
            load()
        assert isinstance(raised.value, ConfigError)
        assert "Fix the file and re-run" in str(raised.value)
    assert issubclass(OrchestrationError, ConfigError)


def test_identity_mappings_name_the_list_entry_that_is_wrong(tmp_path):
    (tmp_path / "pos.yml").write_text(
        "source: pos\nentities: {customers: {contract: contact, files: pos/*.csv, format: csv, "
        "columns: {contact_id: id}}}\nidentities:\n  - {nonsense: 1}\n",
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError, match=r"pos\.yml: identities\.0\."):
        load_identity_mappings(tmp_path)


def test_the_fast_parser_reads_every_shipped_file_as_the_pure_one_does():
    """libyaml's parser is used when PyYAML has it: same data, types included."""
    from pathlib import Path

    import yaml

    from core import config_files

    root = Path(__file__).resolve().parents[2]
    files = sorted((root / "config").rglob("*.yml")) + sorted((root / "dbt_project").glob("*.yml"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert repr(config_files._parse(text)) == repr(yaml.safe_load(text)), path


def test_a_yaml_error_still_quotes_the_line_at_fault(tmp_path):
    """libyaml's errors lack the quoted line: the pure parser's message is the one shown."""
    path = tmp_path / "server.yml"
    path.write_text("name: api\nports: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_yaml_model(path, Server)
    assert "ports: [unclosed" in str(raised.value)
