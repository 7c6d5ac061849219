"""`python -m afas_simulator`: starts, prints what a user needs, serves, stops on Ctrl-C."""

from __future__ import annotations

import base64
import re
import signal
import subprocess
import sys
import time

import httpx

import pytest

from afas_simulator import Realism
from afas_simulator.__main__ import build_parser, config_from_args
from afas_simulator.server import route


def test_command_line_serves_and_prints_base_urls_and_tokens():
    proc = subprocess.Popen(
        [sys.executable, "-m", "afas_simulator", "--port", "0", "--administrations", "1", "--lines-per-period", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        out = "".join(lines)
        assert "O12345AA" in out and "O67890AB" in out
        base = re.search(r"base URL\s+(\S+/12345/ProfitRestServices)", out).group(1)
        token = re.search(r"token\s+(<token>.*</token>)", out).group(1)
        header = "AfasToken " + base64.b64encode(token.encode()).decode()
        assert httpx.get(f"{base}/profitversion", headers={"Authorization": header}).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, proc.stderr.read()


def test_parser_knobs():
    args = build_parser().parse_args(["--profit6", "--max-in-flight", "5", "--reset-rate", "0.1"])
    assert args.profit6 and args.max_in_flight == 5 and args.reset_rate == 0.1
    assert args.host == "127.0.0.1"


def test_profiles_from_the_command_line():
    afas = config_from_args(build_parser().parse_args([])).realism
    assert afas == Realism()  # AFAS Online's behaviour unless told otherwise
    assert config_from_args(build_parser().parse_args(["--profile", "fast"])).realism == Realism.fast()
    tuned = config_from_args(build_parser().parse_args(["--profile", "rehearsal", "--latency-per-request", "0.5"])).realism
    assert tuned.latency_per_request_s == 0.5
    assert tuned.transient_error_rate == Realism.rehearsal().transient_error_rate


def test_big_slices_from_the_command_line():
    args = build_parser().parse_args(["--environments", "1", "--big-slice", "1:2025:6:5000", "--big-slice", "2:2026:1:7"])
    (env,) = config_from_args(args).environments
    assert env.ledger.big_slices == {(1, 2025, 6): 5000, (2, 2026, 1): 7}
    with pytest.raises(SystemExit, match="UNIT:YEAR:PERIOD:LINES"):
        config_from_args(build_parser().parse_args(["--big-slice", "1:2025:6"]))


def test_test_environment_from_the_command_line():
    assert [e.code for e in config_from_args(build_parser().parse_args([])).environments] == ["O12345AA", "O67890AB"]
    config = config_from_args(build_parser().parse_args(["--test-environment", "12345"]))
    assert [(e.code, e.key) for e in config.environments][-1] == ("T12345AA", "T12345")


def test_route():
    assert route("/12345/ProfitRestServices/connectors/X", None) == ("afas", "12345", ["connectors", "X"])
    routed = route("/12345/profitrestservices/subjectconnector/1/a%2Fb/", None)
    assert routed == ("afas", "12345", ["subjectconnector", "1", "a/b"])
    assert route("/ProfitRestServices/metainfo", "12345.rest.afas.online") == ("afas", "12345", ["metainfo"])
    assert route("/ProfitRestServices/metainfo", "12345.resttest.afas.online:443") == ("afas", "T12345", ["metainfo"])
    assert route("/ProfitRestServices/metainfo", "12345.RESTACCEPT.afas.online") == ("afas", "A12345", ["metainfo"])
    assert route("/t12345/ProfitRestServices/metainfo", None) == ("afas", "T12345", ["metainfo"])
    assert route("/O12345/ProfitRestServices/metainfo", None) == ("afas", "12345", ["metainfo"])
    assert route("/X12345/ProfitRestServices/metainfo", None) is None
    assert route("/ProfitRestServices/metainfo", "example.org") is None
    assert route("/_simulator/stats", None) == ("admin", None, ["stats"])
    assert route("/", None) is None
