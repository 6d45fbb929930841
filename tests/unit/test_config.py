"""Configuration precedence: defaults < PAYGROUND_* environment < mapping."""

import os
import stat

import pytest

from payground.config import load_config, parse_rate_limits


def test_defaults_derive_paths_from_home(tmp_path):
    config = load_config({"HOME": str(tmp_path)}, environ={})
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'payground.db'}"
    assert config["RATE_LIMITS"] == "test=25,live=100"


def test_environment_beats_defaults_and_mapping_beats_environment(tmp_path):
    env = {"PAYGROUND_HOME": str(tmp_path), "PAYGROUND_RATE_LIMITS": "off",
           "PAYGROUND_SECRET": "1234"}
    config = load_config({"RATE_LIMITS": "test=5"}, environ=env)
    assert config["HOME"] == str(tmp_path)
    assert config["RATE_LIMITS"] == "test=5"
    assert config["SECRET"] == "1234"  # an all-digit secret stays a string


def test_secret_is_generated_once_with_mode_0600(tmp_path):
    first = load_config({"HOME": str(tmp_path)}, environ={})["SECRET"]
    second = load_config({"HOME": str(tmp_path)}, environ={})["SECRET"]
    assert first == second and len(first) >= 32
    mode = stat.S_IMODE(os.stat(tmp_path / "secret").st_mode)
    assert mode == 0o600


def test_home_expands_user(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    config = load_config({"HOME": "~/pg", "SECRET": "s"}, environ={})
    assert config["HOME"] == str(tmp_path / "pg")


def test_rate_limits_parse():
    assert parse_rate_limits("test=25,live=100") == {False: 25, True: 100}
    assert parse_rate_limits("live=7") == {False: 25, True: 7}
    assert parse_rate_limits("off") is None
    with pytest.raises(ValueError):
        parse_rate_limits("prod=1")
