"""No secret in any message, whatever field it was typed in.

Every form of every secret (an AFAS token as XML, bare 64 hex, base64 and `AfasToken base64`; a
PostgreSQL password in a conninfo and in a URL; an AWS secret key) is typed into every field the
project reads: each option and argument of the command line, each `AFAS_*` environment variable,
and the environment code of a Dagster run. What comes out — stdout, stderr, logs, exception text,
Dagster's run storage, event log and compute logs — must hold no piece of the secret.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import random
import subprocess
import sys
import textwrap
import traceback
from pathlib import Path

import dagster as dg
import pytest

import catalog
from pipelines.cli import main
from tests.conftest import MEMBER

pytestmark = pytest.mark.usefixtures("live_defs_state_storage")

ROOT = Path(__file__).resolve().parents[1]

_random = random.Random(13)
HEX = "".join(_random.choice("0123456789ABCDEF") for _ in range(64))
XML = f"<token><version>1</version><data>{HEX}</data></token>"
BASE64 = base64.b64encode(XML.encode()).decode()
PG_PASSWORD = "Zq8vLm3RtY6wPk"
AWS_SECRET = "".join(_random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+") for _ in range(40))

#: name → (the text typed, the pieces of it that must never come out)
SECRETS = {
    "token_hex": (HEX, HEX),
    "token_xml": (XML, HEX),
    "token_base64": (BASE64, BASE64),
    "token_header": (f"AfasToken {BASE64}", BASE64),
    "pg_conninfo": (f"dbname=afas host=127.0.0.1 port=1 user=afas password={PG_PASSWORD}", PG_PASSWORD),
    "pg_url": (f"postgresql://afas:{PG_PASSWORD}@127.0.0.1:1/afas", PG_PASSWORD),
    "aws_secret_key": (AWS_SECRET, AWS_SECRET),
}

#: Every environment variable the project reads that a user sets (grep os.environ).
VARIABLES = [
    "AFAS_ENVIRONMENT_CODE", "AFAS_TOKEN", "AFAS_ENVIRONMENT_TYPE", "AFAS_ENVIRONMENT_NAME", "AFAS_BASE_URL",
    "AFAS_CLIENT_ID", "AFAS_CLIENT_SECRET", "AFAS_PIPELINE_HOME", "AFAS_DATA_DIR", "AFAS_WAREHOUSE",
    "AFAS_WAREHOUSE_DATA", "AFAS_WAREHOUSE_BUSY_TIMEOUT_S", "AFAS_WAREHOUSE_RETENTION_MONTHS",
    "AFAS_MAX_IN_FLIGHT", "AFAS_CALL_SLOTS", "AFAS_SLOT_WAIT_S", "AFAS_FIRST_YEAR", "AFAS_EXECUTOR",
    "AFAS_NEW_ADMINISTRATION_HISTORY",
]
#: Read when the code location loads, so typed into a fresh process (see the subprocess test).
READ_AT_LOAD = ["AFAS_MAX_IN_FLIGHT", "AFAS_SLOT_WAIT_S", "AFAS_FIRST_YEAR", "AFAS_EXECUTOR",
                "AFAS_NEW_ADMINISTRATION_HISTORY", "AFAS_CALL_SLOTS"]


def pieces(secret: str) -> set[str]:
    """Every 12-character piece of the secret (of a short password: the password itself)."""
    if len(secret) <= 16:
        return {secret}
    return {secret[i:i + 12] for i in range(len(secret) - 11)}


def assert_hidden(text: str, form: str) -> None:
    _, secret = SECRETS[form]
    lowered = text.lower()
    shown = sorted(p for p in pieces(secret) if p.lower() in lowered)
    assert not shown, f"{form}: {shown[:3]} came out in:\n{text[:3000]}"


class Stdin(io.StringIO):
    def isatty(self) -> bool:
        return False


def run_cli(args: list[str], capsys, caplog, stdin: str = "") -> str:
    """Everything one `afas-pipeline` invocation said: its output, stderr, logs and any exception."""
    out = io.StringIO()
    said = []
    with caplog.at_level(logging.DEBUG):
        try:
            said.append(f"exit {main(args, stdin=Stdin(stdin), out=out)}")
        except SystemExit as exc:
            said.append(f"SystemExit: {exc.code}")
        except Exception as exc:  # noqa: BLE001 - the text of any failure counts
            said.append(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    captured = capsys.readouterr()
    return "\n".join([out.getvalue(), captured.out, captured.err, caplog.text, *said])


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    for name in [v for v in os.environ if v.startswith("AFAS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AFAS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AFAS_FIRST_YEAR", "2025")
    monkeypatch.delenv("PGPASSWORD", raising=False)
    return monkeypatch


@pytest.fixture
def home(sim, tmp_path, clean_environment):
    """A settings folder with the simulator's environment o12345 connected."""
    home = tmp_path / "home"
    spec = sim.environment(MEMBER).spec
    out = io.StringIO()
    assert main(["--home", str(home), "connect", spec.code, "--base-url", sim.base_url(MEMBER), "--token-stdin"],
                stdin=Stdin(sim.token_xml(MEMBER)), out=out) == 0, out.getvalue()
    return home


def cli_cases(sim, home: Path, secret: str) -> list[tuple[list[str], str]]:
    """(arguments, standard input) with `secret` in one field each."""
    code, url, token = sim.environment(MEMBER).spec.code, sim.base_url(MEMBER), sim.token_xml(MEMBER)
    h = ["--home", str(home)]
    return [
        ([*h, "connect", secret, "--base-url", url, "--token-stdin"], token),
        ([*h, "connect", code, "--type", secret, "--base-url", url, "--token-stdin"], token),
        ([*h, "connect", code, "--name", secret, "--base-url", url, "--token-stdin"], token),
        ([*h, "connect", code, "--base-url", secret, "--token-stdin"], token),
        ([*h, "connect", code, "--base-url", url, "--token-env", secret], ""),
        ([*h, "connect", code, "--base-url", url, "--token-stdin"], secret),
        ([*h, "connect", code, "--base-url", url, "--oauth", "--client-id", secret, "--token-stdin"], "a-secret"),
        ([*h, "connect", code, "--base-url", url, "--oauth", "--client-id", "an-id", "--token-stdin"], secret),
        ([*h, "connect", code, secret, "--base-url", url, "--token-stdin"], token),  # one argument too many
        (["--home", secret, "environments"], ""),
        ([*h, "doctor", "--env", secret], ""),
        ([*h, "disconnect", secret], ""),
        ([*h, "document", "--env", secret, "1", "5C055C034516ED67972E0A852E03C5B9"], ""),
        ([*h, "document", "--env", "o12345", secret, "5C055C034516ED67972E0A852E03C5B9"], ""),
        ([*h, "document", "--env", "o12345", "1000017", secret, "--out", str(home.parent / "docs")], ""),
        ([*h, "document", "--env", "o12345", "1000017", "5C055C034516ED67972E0A852E03C5B9", "--out", secret], ""),
        ([*h, "sql", secret], ""),
        ([*h, "sql", "--as-of", secret, "SELECT 1"], ""),
        ([*h, "sql", "SELECT 1", "--out", secret], ""),
        ([*h, "backfill", secret, "2025-01", "2025-02"], ""),
        ([*h, "backfill", "o12345-1", secret, "2025-02"], ""),
        ([*h, "backfill", "o12345-1", "2025-01", secret], ""),
    ]


@pytest.mark.parametrize("form", SECRETS)
def test_no_command_line_field_repeats_a_secret(form, sim, home, capsys, caplog, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a secret taken for a folder or file lands here, not in the checkout
    typed, _ = SECRETS[form]
    for args, stdin in cli_cases(sim, home, typed):
        assert_hidden(run_cli(args, capsys, caplog, stdin), form)


def variable_cases(sim, home: Path) -> dict[str, tuple[dict[str, str], list[str]]]:
    """Per variable: the other variables it needs to be read, and the command that reads it."""
    code, url, token = sim.environment(MEMBER).spec.code, sim.base_url(MEMBER), sim.token_xml(MEMBER)
    empty = str(home.parent / "empty-home")
    one_env = {"AFAS_PIPELINE_HOME": empty, "AFAS_ENVIRONMENT_CODE": code, "AFAS_BASE_URL": url, "AFAS_TOKEN": token}
    return {
        "AFAS_ENVIRONMENT_CODE": (one_env, ["doctor"]),
        "AFAS_TOKEN": (one_env, ["doctor"]),
        "AFAS_ENVIRONMENT_TYPE": ({**one_env, "AFAS_ENVIRONMENT_CODE": MEMBER}, ["doctor"]),
        "AFAS_ENVIRONMENT_NAME": (one_env, ["doctor"]),
        "AFAS_BASE_URL": (one_env, ["doctor"]),
        "AFAS_CLIENT_ID": ({**one_env, "AFAS_CLIENT_SECRET": "a-secret"}, ["doctor"]),
        "AFAS_CLIENT_SECRET": ({**one_env, "AFAS_CLIENT_ID": "an-id"}, ["doctor"]),
        "AFAS_PIPELINE_HOME": ({}, ["environments"]),
        "AFAS_DATA_DIR": ({}, ["sql", "SELECT 1"]),
        "AFAS_WAREHOUSE": ({}, ["sql", "SELECT 1"]),
        "AFAS_WAREHOUSE_DATA": ({}, ["sql", "SELECT 1"]),
        "AFAS_WAREHOUSE_BUSY_TIMEOUT_S": ({}, ["sql", "SELECT 1"]),
        "AFAS_WAREHOUSE_RETENTION_MONTHS": ({}, ["sql", "SELECT 1"]),
    }


@pytest.mark.parametrize("form", SECRETS)
def test_no_environment_variable_repeats_a_secret(form, sim, home, capsys, caplog, clean_environment, tmp_path):
    clean_environment.chdir(tmp_path)
    typed, _ = SECRETS[form]
    cases = variable_cases(sim, home)
    assert set(cases) | set(READ_AT_LOAD) == set(VARIABLES)
    for variable, (others, command) in cases.items():
        with pytest.MonkeyPatch.context() as env:
            for name, value in {**others, variable: typed}.items():
                env.setenv(name, value)
            said = run_cli(command, capsys, caplog)
        assert_hidden(said, form)


def test_a_token_as_environment_code_is_refused_without_repeating_it(sim, home, capsys, caplog):
    url = sim.base_url(MEMBER)
    for typed in (HEX, XML, BASE64):
        said = run_cli(["--home", str(home), "connect", typed, "--base-url", url, "--token-stdin"], capsys, caplog,
                       sim.token_xml(MEMBER))
        assert "looks like the token" in said and "O12345AA" in said
        assert_hidden(said, "token_hex")


def test_a_harmless_value_is_still_named(sim, home, capsys, caplog):
    """Hiding is for what could be a secret; a plain typo stays visible, so the user sees what to fix."""
    said = run_cli(["--home", str(home), "connect", "O12345AA", "--type", "prod", "--token-stdin"], capsys, caplog)
    assert "'prod'" in said
    said = run_cli(["--home", str(home), "doctor", "--env", "klant-bakker"], capsys, caplog)
    assert "'klant-bakker'" in said


def test_variables_read_when_the_code_location_loads(tmp_path):
    """In a fresh process (as `dagster dev` starts one): each secret form in each variable read while the
    code location loads fails with a message naming the variable, never the value."""
    script = textwrap.dedent("""
        import json, os, sys, traceback
        variables, forms, home = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
        import pipelines.definitions
        said = {}
        for variable in variables:
            for form, typed in forms.items():
                os.environ[variable] = typed
                try:
                    pipelines.definitions.defs()  # reads the settings, as Dagster does when it loads the location
                    said[f"{variable} {form}"] = "accepted"
                except Exception as exc:
                    said[f"{variable} {form}"] = f"{type(exc).__name__}: {exc}\\n{traceback.format_exc()}"
            del os.environ[variable]
        print(json.dumps(said))
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFAS_") and k != "PGPASSWORD"}
    env["AFAS_DATA_DIR"] = str(tmp_path / "data")
    forms = {form: typed for form, (typed, _) in SECRETS.items()}
    done = subprocess.run([sys.executable, "-c", script, json.dumps(READ_AT_LOAD), json.dumps(forms),
                           str(tmp_path / "home")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)
    for variable in READ_AT_LOAD:
        for form in SECRETS:
            assert_hidden(said[f"{variable} {form}"] + done.stderr, form)
            # A PostgreSQL conninfo or URL is what AFAS_CALL_SLOTS may hold: accepted, its password unshown.
            if variable != "AFAS_CALL_SLOTS" or not form.startswith("pg_"):
                assert variable in said[f"{variable} {form}"], (variable, form, said[f"{variable} {form}"])


def test_a_real_process_does_not_repeat_a_token_typed_as_the_environment_code(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFAS_")}
    env["AFAS_PIPELINE_HOME"] = str(tmp_path / "home")
    command = [str(Path(sys.executable).with_name("afas-pipeline"))]
    if not Path(command[0]).exists():
        command = [sys.executable, "-m", "pipelines.cli"]
    done = subprocess.run([*command, "connect", HEX, "--token-stdin"], input=XML, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "looks like the token" in done.stdout, done.stdout + done.stderr
    assert_hidden(done.stdout + done.stderr, "token_hex")
    listed = subprocess.run([*command, "environments"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**env, "AFAS_ENVIRONMENT_CODE": BASE64, "AFAS_TOKEN": XML})
    assert listed.returncode == 2 and "environment code" in listed.stdout, listed.stdout + listed.stderr
    assert_hidden(listed.stdout + listed.stderr, "token_base64")


@pytest.mark.parametrize("form", ["token_hex", "token_xml", "token_base64", "token_header"])
def test_a_dagster_run_with_a_token_as_environment_code(form, sim, tmp_path, clean_environment):
    """The run fails saying what is wrong, and nothing Dagster stores about it holds the token."""
    from tests.pipelines.pipeline_support import Pipeline

    typed, _ = SECRETS[form]
    clean_environment.setenv("AFAS_ENVIRONMENT_CODE", typed)
    clean_environment.setenv("AFAS_TOKEN", sim.token_xml(MEMBER))
    clean_environment.setenv("AFAS_BASE_URL", sim.base_url(MEMBER))
    storage = tmp_path / "dagster"
    storage.mkdir()
    with dg.instance_for_test(temp_dir=str(storage)) as instance:
        pipeline = Pipeline(sim, tmp_path / "home", tmp_path / "data", instance)
        result = pipeline.materialize([catalog.ADMINISTRATIONS], raise_on_error=False)
        assert not result.success
        failures = [e.step_failure_data.error.to_string() for e in result.all_events
                    if e.event_type_value == "STEP_FAILURE"]
        assert failures and all("AFAS environment code" in f for f in failures), failures
        stored = [repr(record) for record in instance.all_logs(result.run_id)]
        stored.append(repr(instance.get_run_by_id(result.run_id)))
        assert_hidden("\n".join([*failures, *stored]), form)
    files = [p for p in storage.rglob("*") if p.is_file()]  # run and event storage, compute logs
    assert files
    for path in files:
        assert_hidden(path.read_bytes().decode("utf-8", "replace"), form)
