"""`afas-pipeline connect` and `doctor` against the simulator."""

from __future__ import annotations

import io
import re

import catalog
from pipelines.cli import main
from tests.conftest import MEMBER


class Stdin(io.StringIO):
    def isatty(self) -> bool:
        return False


def run(home, *args, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--home", str(home), *args], stdin=Stdin(stdin), out=out)
    return code, out.getvalue()


def connect(sim, home, member=MEMBER, state="valid", name=None, user=None):
    spec = sim.environment(member).spec
    args = ["connect", spec.code, "--base-url", sim.base_url(member), "--token-stdin"]
    if name:
        args += ["--name", name]
    return run(home, *args, stdin=sim.token_xml(member, state, user=user) + "\n")


def test_connect_verifies_then_saves(sim, tmp_path):
    code, out = connect(sim, tmp_path)
    assert code == 0, out
    assert "connected o12345" in out
    code, out = run(tmp_path, "environments")
    assert "o12345" in out and "O12345AA" in out


def test_connect_with_bad_token_saves_nothing_and_hides_it(sim, tmp_path):
    code, out = connect(sim, tmp_path, state="expired")
    assert code == 2
    assert "Gebruikerstokens" in out
    assert sim.token(MEMBER, "expired").data not in out
    assert not (tmp_path / "environments.json").exists()


def test_connect_with_malformed_token(sim, tmp_path):
    spec = sim.environment(MEMBER).spec
    code, out = run(tmp_path, "connect", spec.code, "--base-url", sim.base_url(MEMBER), "--token-stdin",
                    stdin="<token><data>geheim123</data></token>")
    assert code == 2 and "malformed" in out and "geheim123" not in out


def test_doctor_healthy_for_two_environments(sim, tmp_path):
    connect(sim, tmp_path)
    connect(sim, tmp_path, member="67890")
    code, out = run(tmp_path, "doctor")
    assert code == 0, out
    assert out.count("healthy") == 2
    for connector_id in catalog.REQUIRED_CONNECTOR_IDS:
        assert f"GetConnector {connector_id}" in out
    assert "administration 1:" in out
    assert "2027-08-31" in out


def test_doctor_names_exactly_the_missing_connectors(sim, tmp_path):
    connect(sim, tmp_path)
    env = sim.environment(MEMBER).spec
    missing = {"Visionplanner_dossieritems", "Precal_Verbijzonderingscodes"}
    saved = env.ticked
    env.ticked = saved - missing
    try:
        code, out = run(tmp_path, "doctor")
    finally:
        env.ticked = saved
    assert code == 1
    line = next(l for l in out.splitlines() if "GetConnectors missing" in l)
    named = set(re.findall(r"'([A-Za-z_]+)'", line))
    assert named == missing
    assert "'GetConnector' → 'Nieuw'" in out
    assert "PROBLEMS FOUND" in out


def test_doctor_reports_missing_subject_connector(sim, tmp_path):
    connect(sim, tmp_path)
    env = sim.environment(MEMBER).spec
    saved = env.ticked
    env.ticked = saved - {catalog.SUBJECT_CONNECTOR}
    try:
        code, out = run(tmp_path, "doctor")
    finally:
        env.ticked = saved
    assert code == 1
    assert "'Connectoren'" in out and "AppConnectorSubject" in out


def test_doctor_with_a_bad_token_says_so_without_printing_it(sim, tmp_path):
    connect(sim, tmp_path)
    secret_file = tmp_path / "secrets" / "o12345"
    bad = sim.token(MEMBER, "blocked").data
    secret_file.write_text(bad)
    code, out = run(tmp_path, "doctor")
    assert code == 1
    assert "rejected the token" in out
    assert bad not in out and bad.lower() not in out


def test_doctor_names_the_administration_whose_rows_the_token_user_may_not_see(sim, tmp_path):
    from afas_simulator.simulator import RESTRICTED_USER

    assert connect(sim, tmp_path, name="beperkt", user=RESTRICTED_USER)[0] == 0
    assert connect(sim, tmp_path)[0] == 0
    code, out = run(tmp_path, "doctor", "--env", "beperkt")
    assert code == 0, out  # a warning, not a failure
    warned = [l for l in out.splitlines() if l.lstrip().startswith("[warn] rows of administration")]
    listed = sim.environment(MEMBER).data.frame(catalog.ADMINISTRATIONS.id).rows_by_key("AdminId", named=True)
    assert warned == [
        f"  [warn] rows of administration 3: administration 3 '{listed[3][0]['AdminNm']}' is listed, but this "
        "token's user sees none of its rows in Visionplanner_periodvalues or Visionplanner_transactions: its loads "
        "will be empty"
    ]
    assert "Autorisatietool" in out and "Gebruikerstokens, seed step 3" in out
    token = sim.token(MEMBER, user=RESTRICTED_USER).data
    assert token not in out and token.lower() not in out
    code, out = run(tmp_path, "doctor", "--env", "o12345")
    assert code == 0 and "rows of administration " not in out and "[ok  ] rows of administrations" in out


def test_doctor_compares_fields_with_the_catalog(sim, tmp_path):
    connect(sim, tmp_path)
    code, out = run(tmp_path, "doctor")
    assert "fields of Visionplanner_transactions: 18 fields as in the catalog" in out


def test_document_command_saves_one_attachment_by_name(sim, tmp_path):
    import catalog

    connect(sim, tmp_path)
    item = sim.environment(MEMBER).data.frame(catalog.DOSSIER_ITEMS.id, unit_id=1).row(0, named=True)
    out_dir = tmp_path / "docs"
    code, out = run(tmp_path, "document", "--env", "o12345", str(item["SubjectId"]), item["FileId"], "--out", str(out_dir))
    assert code == 0, out
    saved = out_dir / item["FileName"]
    assert saved.read_bytes() == sim.environment(MEMBER).data.subject_file(item["SubjectId"], item["FileId"]).data
    code, out = run(tmp_path, "document", "--env", "o12345", "1", "0" * 32, "--out", str(out_dir))
    assert code == 2 and "no file" in out
