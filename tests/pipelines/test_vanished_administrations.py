"""An administration that vanishes from AFAS keeps its data, is reported, and goes only when a user confirms.

Each test has a simulator of its own (one environment, three administrations, `Realism.fast()`),
because it deletes an administration or takes the token's rights to one.
"""

from __future__ import annotations

import io

import dagster as dg
import pytest

import catalog
from afas.errors import AdministrationVanishedError
from afas_simulator import Realism, Simulator, default_config
from pipelines.cli import main
from tests.conftest import MEMBER
from tests.pipelines.pipeline_support import failure_metadata, start_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("live_defs_state_storage")]

BOOKS = [catalog.TRANSACTIONS, catalog.TRANSACTIONS_ALLOCATED, catalog.PERIOD_VALUES]
MASTER = [catalog.ACCOUNTS, catalog.RECEIVABLES]
GONE, KEPT = 3, 1
PERIOD = "2025-03"


@pytest.fixture
def own_sim():
    sim = Simulator(default_config(seed=1313, environments=1, lines_per_period=20, realism=Realism.fast())).start()
    yield sim
    sim.stop()


@pytest.fixture
def pipeline(own_sim, tmp_path, monkeypatch):
    """Administrations 1 and 3 loaded: their master data and their books of 2025-03."""
    monkeypatch.setenv("AFAS_DATA_DIR", str(tmp_path / "data"))  # where doctor and confirm-removed find the lake
    with dg.instance_for_test() as instance:
        p = start_pipeline(own_sim, tmp_path, instance)
        p.load_administrations()
        for admin in (KEPT, GONE):
            p.materialize(MASTER, partition_key=f"o12345-{admin}")
            p.materialize(BOOKS, partition_key=f"o12345-{admin}|{PERIOD}")
        yield p


def rows_of(pipeline, admin: int) -> dict[str, object]:
    """Every table's rows of one administration (without loaded_at)."""
    return {c.table: pipeline.table(c, f"administration_id = {admin}") for c in [*BOOKS, *MASTER]}


def cli(pipeline, *args) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--home", str(pipeline.home), *args], out=out), out.getvalue()


def observations(result) -> list[dg.AssetObservation]:
    return [e.event_specific_data.asset_observation for e in result.all_events
            if e.event_type_value == "ASSET_OBSERVATION"]


def assert_fails_as_vanished(pipeline, connectors, key: str, *, listed: bool) -> None:
    result = pipeline.materialize(connectors, partition_key=key, raise_on_error=False)
    assert not result.success
    error = next(v for k, v in failure_metadata(result).items() if k.endswith("error"))
    assert f"Administration {GONE}" in error and "of environment o12345 has vanished from AFAS" in error
    assert ("still lists it" if listed else "no longer lists it") in error
    assert "data in the lake was kept" in error
    assert "deleted in AFAS Online" in error and "Gebruikerstokens" in error and "autorisatietool" in error
    assert f"afas-pipeline confirm-removed o12345-{GONE}" in error
    seen = observations(result)
    assert {o.asset_key.path[0] for o in seen} == {c.table for c in connectors}
    for o in seen:
        assert o.metadata["vanished_from_afas"].value.startswith("vanished from AFAS")
        assert "data kept since its last load on" in o.metadata["vanished_from_afas"].value
        assert o.metadata["confirm_removal"].value == f"afas-pipeline confirm-removed o12345-{GONE}"


@pytest.mark.parametrize("how", ["deleted", "rights_lost"])
def test_a_vanished_administration_keeps_its_data_and_fails_clearly(pipeline, how):
    before = rows_of(pipeline, GONE)
    assert all(frame.height for frame in before.values())
    if how == "deleted":
        pipeline.sim.scenario(MEMBER, "remove_administration", unit_id=GONE)
        assert GONE not in pipeline.sim.environment(MEMBER).data.administrations()
        pipeline.load_administrations()  # the list follows AFAS: administration 3 is no longer in it
    else:  # the token's user lost its rights in the autorisatietool: still listed, rows withheld
        pipeline.sim.token(MEMBER).hidden_units = frozenset({GONE})
    listed = how == "rights_lost"
    assert_fails_as_vanished(pipeline, BOOKS, f"o12345-{GONE}|{PERIOD}", listed=listed)
    assert_fails_as_vanished(pipeline, MASTER, f"o12345-{GONE}", listed=listed)
    assert_fails_as_vanished(pipeline, BOOKS, f"o12345-{GONE}|{PERIOD}", listed=listed)  # and again: until confirmed
    after = rows_of(pipeline, GONE)
    for table, frame in before.items():
        assert after[table].equals(frame), table
    # The other administration loads as ever.
    assert pipeline.materialize(BOOKS, partition_key=f"o12345-{KEPT}|{PERIOD}").success
    assert pipeline.materialize(MASTER, partition_key=f"o12345-{KEPT}").success
    # A slice the lake holds nothing of is written as before (there is nothing to lose).
    assert pipeline.materialize(BOOKS, partition_key=f"o12345-{GONE}|2025-01").success
    # Doctor names it once, in the words of the way it vanished.
    code, out = cli(pipeline, "doctor")
    (line,) = [line for line in out.splitlines() if "vanished administration" in line]
    if listed:
        assert "is listed, but this token's user sees none of its rows" in line
        assert f"rows of administration {GONE}" not in out  # one line for it, not two
    else:
        assert "is no longer listed in Visionplanner_administrations" in line
    assert f"rights to administration {GONE} again in the autorisatietool" in out
    assert f"afas-pipeline confirm-removed o12345-{GONE}" in out


def test_doctor_reports_it_and_confirming_removes_it(pipeline):
    code, out = cli(pipeline, "doctor")
    assert code == 0 and "vanished" not in out, out
    pipeline.sim.scenario(MEMBER, "remove_administration", unit_id=GONE)
    code, out = cli(pipeline, "doctor")
    assert code == 0, out  # a warning, not a failure
    (line,) = [line for line in out.splitlines() if "vanished administration" in line]
    assert line.strip().startswith(f"[warn] vanished administration {GONE}:")
    assert "no longer listed" in line and "is kept" in line
    assert f"afas-pipeline confirm-removed o12345-{GONE}" in out

    code, out = cli(pipeline, "confirm-removed", f"o12345-{KEPT}")  # still there: refused, nothing removed
    assert code == 1 and "nothing was removed" in out, out
    assert all(frame.height for frame in rows_of(pipeline, KEPT).values())

    held = sum(frame.height for frame in rows_of(pipeline, GONE).values())
    code, out = cli(pipeline, "confirm-removed", f"o12345-{GONE}")
    assert code == 0 and f"removed o12345-{GONE}" in out and f"{held:,} rows" in out, out
    assert not any(frame.height for frame in rows_of(pipeline, GONE).values())
    assert all(frame.height for frame in rows_of(pipeline, KEPT).values())
    (record,) = pipeline.warehouse().query("SELECT * FROM removed_administrations").iter_rows(named=True)
    assert (record["environment"], record["administration_id"], record["afas_showed"]) == ("o12345", GONE, "not_listed")
    assert record["rows_removed"] == held and record["last_loaded_at"] is not None

    code, out = cli(pipeline, "doctor")
    assert code == 0 and "vanished" not in out, out
    # Its loads, while still scheduled, now write empty slices instead of failing.
    result = pipeline.materialize(BOOKS, partition_key=f"o12345-{GONE}|{PERIOD}")
    assert result.success
    assert {m.materialization.metadata["rows"].value for m in result.get_asset_materialization_events()} == {0}
    code, out = cli(pipeline, "confirm-removed", f"o12345-{GONE}")  # again: nothing left
    assert code == 0 and "nothing to remove" in out, out


def test_an_emptied_period_of_a_present_administration_is_still_replaced(pipeline, monkeypatch):
    import assets.vanished

    asked = []
    real = assets.vanished.administration_presence
    monkeypatch.setattr(assets.vanished, "administration_presence", lambda c, a: asked.append(a) or real(c, a))
    data = pipeline.sim.environment(MEMBER).data
    for entry in data.find_entries(KEPT, 2025, 3):
        pipeline.sim.scenario(MEMBER, "delete_entry", unit_id=KEPT, entry_no=entry)
    result = pipeline.materialize(BOOKS, partition_key=f"o12345-{KEPT}|{PERIOD}")
    assert result.success
    assert asked == [KEPT]  # AFAS was asked once whether the administration is still there: it is
    (tx,) = [m.materialization for m in result.get_asset_materialization_events()
             if m.materialization.asset_key.path == ["transactions"]]
    assert tx.metadata["rows"].value == 0 and tx.metadata["rows_replaced"].value > 0
    assert pipeline.table(catalog.TRANSACTIONS, f"administration_id = {KEPT} AND period = 3").height == 0


def test_the_error_is_an_afas_error_naming_the_administration():
    exc = AdministrationVanishedError("o12345", 3, listed=False, name="Bakkerij De Korenaar B.V.")
    assert exc.administration_id == 3 and not exc.retryable
    assert str(exc).startswith("Administration 3 'Bakkerij De Korenaar B.V.' of environment o12345 has vanished")
