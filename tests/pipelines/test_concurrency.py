"""Runs at the same time, and an analyst holding the lake open, never break a load."""

from __future__ import annotations

import multiprocessing as mp
import subprocess
import sys
import textwrap

import dagster as dg
import pytest

import catalog
from tests.pipelines.pipeline_support import ENV, start_pipeline

# Dagster runs in process: minutes in all.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("live_defs_state_storage")]


def _materialize_in_child(home: str, data: str, partition_key: str) -> bool:
    import os

    os.environ["AFAS_DATA_DIR"] = data
    import dagster as dg

    from assets.partitions import add_partitions
    from tests.pipelines.pipeline_support import Pipeline

    with dg.instance_for_test() as instance:
        add_partitions(instance, [partition_key.split("|")[0]])
        p = Pipeline(None, __import__("pathlib").Path(home), __import__("pathlib").Path(data), instance)
        return p.materialize([catalog.TRANSACTIONS, catalog.TRANSACTIONS_ALLOCATED], partition_key=partition_key).success


def test_two_concurrent_runs_writing_different_partitions_both_succeed(sim, tmp_path, monkeypatch):
    monkeypatch.setenv("AFAS_DATA_DIR", str(tmp_path / "data"))
    sim.config.realism.latency_per_request_s = 0.05  # so that the runs overlap
    with dg.instance_for_test() as instance:
        p = start_pipeline(sim, tmp_path, instance)
        keys = ["o12345-1|2025-04", "o12345-2|2025-04"]
        # Pool's context manager would terminate the children, and a Dagster run interrupted by
        # SIGTERM waits for its slice threads: close and join instead, so a failure fails fast.
        pool = mp.get_context("spawn").Pool(2)
        try:
            results = pool.starmap(_materialize_in_child, [(str(p.home), str(p.data), k) for k in keys])
        finally:
            pool.close()
            pool.join()
        assert results == [True, True]
        truth = sim.environment("12345").data
        for unit in (1, 2):
            got = p.table(catalog.TRANSACTIONS, f"administration_id = {unit} AND period = 4")
            assert got.height == truth.frame(catalog.TRANSACTIONS.id, unit, 2025, 4).height > 0


ANALYST = textwrap.dedent(
    """
    import os
    import sys
    from settings import Settings
    from warehouse.access import read_only_connection
    con = read_only_connection(Settings.from_environment({**os.environ, "AFAS_DATA_DIR": sys.argv[1]}).lake())  # as `afas-pipeline sql` does
    query = "SELECT count(*) FROM transactions WHERE period = 6"
    print(con.execute(query).fetchall()[0][0], flush=True)
    sys.stdin.readline()          # the load happens now, while this connection stays open
    print(con.execute(query).fetchall()[0][0], flush=True)
    """
)


def test_a_load_succeeds_while_an_analyst_holds_the_lake_open(sim, tmp_path, monkeypatch):
    monkeypatch.setenv("AFAS_DATA_DIR", str(tmp_path / "data"))
    with dg.instance_for_test() as instance:
        p = start_pipeline(sim, tmp_path, instance)
        p.load_administrations()
        p.materialize([catalog.TRANSACTIONS], partition_key="o12345-1|2025-05")
        analyst = subprocess.Popen(
            [sys.executable, "-c", ANALYST, str(p.data)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        try:
            assert analyst.stdout.readline().strip() == "0"
            assert p.materialize([catalog.TRANSACTIONS], partition_key="o12345-1|2025-06").success
            analyst.stdin.write("\n")
            analyst.stdin.flush()
            seen = int(analyst.stdout.readline())
        finally:
            analyst.kill()
        expected = sim.environment("12345").data.frame(catalog.TRANSACTIONS.id, 1, 2025, 6).height
        assert seen == expected > 0
        assert p.table(catalog.TRANSACTIONS, f"environment = '{ENV}' AND period = 6").height == expected
