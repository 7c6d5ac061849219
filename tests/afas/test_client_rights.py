"""A token whose user has fewer rights, through the client and `doctor`, against the simulator over loopback."""

from __future__ import annotations

from urllib.parse import parse_qs

import catalog
from afas.doctor import Status, diagnose
from afas_simulator.simulator import RESTRICTED_USER
from tests.conftest import MEMBER

#: `default_environment` hides the last of 12345's three administrations from the restricted user.
HIDDEN = 3
PROBED = (catalog.PERIOD_VALUES.id, catalog.TRANSACTIONS.id)


def _names(sim) -> dict[int, str]:
    frame = sim.environment(MEMBER).data.frame(catalog.ADMINISTRATIONS.id)
    return dict(zip(frame["AdminId"].to_list(), frame["AdminNm"].to_list(), strict=True))


def _row_checks(report) -> dict[str, object]:
    return {c.name: c for c in report.checks if c.name.startswith("rows of administration")}


def _probe_calls(sim) -> dict[str, list[dict]]:
    calls: dict[str, list[dict]] = {c: [] for c in PROBED}
    for r in sim.stats[MEMBER].requests():
        for connector_id in PROBED:
            if r.path.lower().endswith(f"/connectors/{connector_id.lower()}"):
                calls[connector_id].append(parse_qs(r.query))
    return calls


def test_the_client_loads_nothing_of_the_hidden_administration_and_all_of_the_others(sim, make_client):
    full, restricted = make_client(), make_client(user=RESTRICTED_USER)
    tx = catalog.TRANSACTIONS.id
    hidden = restricted.fetch(tx, administration=HIDDEN, year=2025, period=3)
    assert hidden.frame.height == 0 and full.fetch(tx, administration=HIDDEN, year=2025, period=3).frame.height > 0
    assert restricted.fetch(tx, administration=1, year=2025, period=3).frame.equals(
        full.fetch(tx, administration=1, year=2025, period=3).frame
    )
    listed = restricted.fetch(catalog.ADMINISTRATIONS.id).frame
    assert sorted(listed["AdminId"].to_list()) == [1, 2, 3]


def test_doctor_warns_about_exactly_the_hidden_administration(sim, make_client):
    report = diagnose(make_client(user=RESTRICTED_USER))
    checks = _row_checks(report)
    assert set(checks) == {f"rows of administration {HIDDEN}"}
    (check,) = checks.values()
    assert check.status is Status.WARN and report.ok  # a warning: the loads of the others still work
    assert f"administration {HIDDEN} '{_names(sim)[HIDDEN]}' is listed" in check.detail
    assert "Autorisatietool" in check.fix and "Gebruikerstokens" in check.fix
    token = sim.token(MEMBER, user=RESTRICTED_USER).data
    assert all(token.lower() not in f"{c.name} {c.detail} {c.fix}".lower() for c in report.checks)


def test_doctor_on_the_full_token_reports_no_administration(sim, make_client):
    checks = _row_checks(diagnose(make_client()))
    assert list(checks) == ["rows of administrations"]
    assert checks["rows of administrations"].status is Status.OK
    assert checks["rows of administrations"].detail == "this token's user sees rows of all 3"


def test_the_row_check_costs_one_call_per_administration_and_one_more_per_empty_one(sim, make_client):
    diagnose(make_client())
    calls = _probe_calls(sim)
    assert len(calls[catalog.PERIOD_VALUES.id]) == 3 and calls[catalog.TRANSACTIONS.id] == []
    assert all(q["take"] == ["1"] and "orderbyfieldids" not in q for q in calls[catalog.PERIOD_VALUES.id])
    sim.stats.reset()
    diagnose(make_client(user=RESTRICTED_USER))
    calls = _probe_calls(sim)
    assert len(calls[catalog.PERIOD_VALUES.id]) == 3
    assert [q["filtervalues"] for q in calls[catalog.TRANSACTIONS.id]] == [[str(HIDDEN)]]
