"""A member's test and production environments land side by side in the lake, neither overwriting the other."""

from __future__ import annotations

import dagster as dg
import pytest

import catalog
from afas_simulator import Realism, Simulator, default_config
from pipelines.demo import register
from tests.conftest import MEMBER
from tests.pipelines.pipeline_support import Pipeline

# Dagster runs in process: tens of seconds.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("live_defs_state_storage")]

TEST = "T" + MEMBER
PERIOD = "2025-03"


@pytest.fixture(scope="module")
def both():
    """Member 12345 in production (`O12345AA`) and in test (`T12345AA`), books of their own."""
    sim = Simulator(default_config(4242, lines_per_period=10, realism=Realism.fast(), test_environments=[MEMBER]))
    with sim:
        yield sim


def test_test_and_production_load_under_their_own_keys(both, tmp_path, monkeypatch):
    monkeypatch.setenv("AFAS_DATA_DIR", str(tmp_path / "data"))
    home = tmp_path / "home"
    registered = [(both.environment(k).spec.code, both.base_url(k), both.token_xml(k)) for k in (MEMBER, TEST)]
    assert register(registered, home) == 0
    with dg.instance_for_test() as instance:
        pipeline = Pipeline(both, home, tmp_path / "data", instance)
        keys = pipeline.load_administrations()
        assert {"o12345-1", "t12345-1"} <= set(keys)
        for env in ("o12345", "t12345"):
            pipeline.materialize([catalog.TRANSACTIONS], partition_key=f"{env}-1|{PERIOD}")
        debits = {}
        for env, key in (("o12345", MEMBER), ("t12345", TEST)):
            got = pipeline.table(catalog.TRANSACTIONS, f"environment = '{env}'")
            truth = both.environment(key).data.frame(catalog.TRANSACTIONS.id, unit_id=1, year=2025, period=3)
            assert got["entry_no"].to_list() == truth["EntryNo"].to_list(), env
            debits[env] = got["amount_debit"].sum()
            assert debits[env] == truth["AmtDebit"].sum(), env
        assert debits["o12345"] != debits["t12345"]  # two books, not one loaded twice
        names = pipeline.table(catalog.ADMINISTRATIONS).group_by("environment").len()
        assert dict(names.iter_rows()) == {"o12345": 3, "t12345": 3}
