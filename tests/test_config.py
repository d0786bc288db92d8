"""Settings are read from the environment when the app is built: a value that cannot be read stops
the start with an error naming the variable."""

import os
import subprocess
import sys

import pytest

from app import create_app
from app.config import BadSettings, from_environment
from tests.support import ROOT, settings


@pytest.mark.parametrize(
    "variable, value, reason",
    [
        ("PROXY_FIX", "abc", "Not a valid integer"),
        ("MAIL_PORT", "twenty-five", "Not a valid integer"),
        ("JOB_RETRY_BASE_SECONDS", "soon", "Not a valid number"),
        ("SIMULATOR_ACTIVATION_SECONDS", "1,5", "Not a valid number"),
        ("MAIL_USE_TLS", "maybe", "Not a valid boolean"),
        ("TWILIO_ADVANCED_OPT_OUT", "enabled", "Not a valid boolean"),
    ],
)
def test_a_value_that_cannot_be_read_stops_the_start_naming_its_variable(
    monkeypatch, variable, value, reason
):
    monkeypatch.setenv(variable, value)
    with pytest.raises(BadSettings) as refused:
        create_app(settings())
    assert f"- {variable}: {reason}" in str(refused.value)
    assert str(refused.value).count("\n- ") == 1  # only the one at fault


def test_every_bad_value_is_named_at_once(monkeypatch):
    monkeypatch.setenv("PROXY_FIX", "abc")
    monkeypatch.setenv("JOB_MAX_TRIES", "many")
    with pytest.raises(BadSettings) as refused:
        from_environment()
    assert "- PROXY_FIX: Not a valid integer" in str(refused.value)
    assert "- JOB_MAX_TRIES: Not a valid integer" in str(refused.value)


def test_the_web_entry_point_refuses_a_bad_value_with_a_message_naming_it():
    env = {**os.environ, "PROXY_FIX": "abc"}
    r = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert r.returncode != 0
    assert "BadSettings: Cannot start: these environment variables" in r.stderr
    assert r.stderr.strip().splitlines()[-1] == "- PROXY_FIX: Not a valid integer."
    assert "invalid literal" not in r.stderr


@pytest.mark.parametrize(
    "value, expected", [("1", True), ("Yes", True), (" on ", True), ("0", False), ("", False)]
)
def test_a_boolean_setting_reads_the_usual_words(monkeypatch, value, expected):
    monkeypatch.setenv("MAIL_USE_TLS", value)
    assert from_environment()["MAIL_USE_TLS"] is expected


def test_the_default_public_address_follows_the_port_make_run_serves_on(monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("FLASK_RUN_PORT", "5080")
    assert from_environment()["PUBLIC_BASE_URL"] == "http://127.0.0.1:5080"
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://sms.example.com/")
    assert from_environment()["PUBLIC_BASE_URL"] == "https://sms.example.com"
