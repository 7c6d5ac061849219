"""End to end in a browser: `dagster dev` as a user starts it, on a small instance with loaded and
failed periods, looked at through Dagster's UI in headless Chromium (Debian's, driven by Playwright).
Screenshots of every page land in the test's tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

import catalog
from afas_simulator import Realism, Simulator, default_config
from pipelines.demo import register
from assets.partitions import AdministrationRef, PeriodRef, SliceRef, period_range_tags
from tests.dagster_processes import dagster_dev
from tests.dagster_ui import DagsterUI, ui_page

pytestmark = [pytest.mark.end_to_end, pytest.mark.services, pytest.mark.usefixtures("live_defs_state_storage")]

MEMBER = "12345"
ADMIN = AdministrationRef("o12345", 1)
LOADED = [PeriodRef(2025, 1), PeriodRef(2025, 2), PeriodRef(2025, 3)]
FAILED = PeriodRef(2025, 4)  # its period values answer a broken row: the run fails, nothing is written
PERIOD_ASSETS = [catalog.PERIOD_VALUES, catalog.TRANSACTIONS, catalog.TRANSACTIONS_ALLOCATED]


def load_instance(sim: Simulator, home: Path) -> int:
    """What the demo does, smaller, and with runs launched the same way (through the code location, so
    the job pages list them): administrations, their partitions, some periods in one run (as a UI
    backfill runs them), and one period whose run fails. Returns the number of partitions."""
    import dagster as dg

    from pipelines.launch import launcher
    from assets.partitions import add_partitions
    from assets.resources import WarehouseResource
    from pipelines.sensors import new_administration_keys

    spec = sim.environment(MEMBER).spec
    assert register([(spec.code, sim.base_url(MEMBER), sim.token_xml(MEMBER))], home) == 0
    with dg.DagsterInstance.get() as instance, launcher(instance) as runs:
        assert runs.run("administrations_job", {}).success
        add_partitions(instance, new_administration_keys(instance, WarehouseResource.from_environment()))
        assert runs.run("period_assets_job", period_range_tags(ADMIN, LOADED[0], LOADED[-1])).success
        sim.faults.script("bad_row", connector=catalog.PERIOD_VALUES.id, mode="duplicate")
        failed = runs.run("period_assets_job", period_range_tags(ADMIN, FAILED, FAILED))
        assert not failed.success
        return len(instance.get_dynamic_partitions("afas_administration")) * len(
            instance.get_dynamic_partitions("afas_period"))


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    """A running `dagster dev` on a loaded instance, and a browser page on it."""
    tmp_path = tmp_path_factory.mktemp("ui")
    env = {
        "AFAS_PIPELINE_HOME": str(tmp_path / "home"),
        "AFAS_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "AFAS_FIRST_YEAR": "2025",
    }
    Path(env["DAGSTER_HOME"]).mkdir()
    (Path(env["DAGSTER_HOME"]) / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        config = default_config(seed=99, environments=1, administrations=2, lines_per_period=25,
                                realism=Realism.rehearsal())
        with Simulator(config).start() as sim:
            partitions = load_instance(sim, tmp_path / "home")
            with dagster_dev(env, tmp_path) as url, ui_page(url) as page:
                yield Loaded(page, sim, tmp_path, partitions)


class Loaded:
    def __init__(self, page: DagsterUI, sim: Simulator, folder: Path, partitions: int):
        self.page, self.sim, self.folder, self.partitions = page, sim, folder, partitions

    @property
    def company(self) -> str:
        """The company name AFAS (the simulator) gives the administration."""
        admins = self.sim.environment(MEMBER).data.frame(catalog.ADMINISTRATIONS.id)
        (name,) = admins.filter(admins[catalog.ADMIN_ID] == ADMIN.administration_id)["AdminNm"].to_list()
        return name

    def shot(self, name: str) -> Path:
        return self.page.screenshot(self.folder / f"{name}.png")

    def rows(self, connector: catalog.Connector, period: PeriodRef) -> int:
        """The simulator's ground truth: rows of one slice."""
        return self.sim.environment(MEMBER).data.frame(
            connector.id, ADMIN.administration_id, period.year, period.period).height


def test_asset_graph_shows_the_assets_with_their_partitions(ui):
    ui.page.open_asset_group("afas")
    for connector in PERIOD_ASSETS:
        ui.page.expect_asset_node(connector.table, f"{ui.partitions} partitions")
    ui.page.expect_asset_node(catalog.ADMINISTRATIONS.table, "Materialized")
    ui.shot("asset_graph")


def test_a_loaded_period_shows_materialized_with_its_metadata(ui):
    period = LOADED[1]
    detail = ui.page.open_partition(catalog.PERIOD_VALUES.table, SliceRef(ADMIN, period).key)
    expect(detail.get_by_text("Materialized", exact=True)).to_be_visible()
    meta = ui.page.metadata(detail)
    ui.shot("period_partition")
    assert meta["rows"] == str(ui.rows(catalog.PERIOD_VALUES, period)) != "0"
    assert meta["afas_connector"] == catalog.PERIOD_VALUES.id
    assert meta["environment"] == ADMIN.environment
    assert meta["administration"] == f"{ui.company} ({ADMIN.key})"
    counts = ui.page.partition_status_counts()
    assert counts == {"Failed": 1, "Materialized": len(LOADED), "Materializing": 0,
                      "Missing": ui.partitions - len(LOADED) - 1}, counts


@pytest.mark.parametrize("connector", PERIOD_ASSETS, ids=lambda c: c.table)
def test_a_failed_period_shows_why_on_every_asset_of_its_books(ui, connector):
    detail = ui.page.open_partition(connector.table, SliceRef(ADMIN, FAILED).key)
    banner, failure = ui.page.partition_failure(detail)
    ui.shot(f"failed_partition_{connector.table}")
    assert banner.endswith("failed, and did not materialize this asset."), banner
    assert "failed to load; their earlier data is unchanged" in failure and "key_unique" in failure, failure[:2000]


def test_each_periods_reconciliation_shows_on_its_partition(ui):
    check = "reconciles_with_transactions"
    detail = ui.page.open_check_partition(catalog.PERIOD_VALUES.table, check, ADMIN.key, LOADED[1].key)
    ui.shot("reconciled_period")
    expect(detail.get_by_text("Passed", exact=True).first).to_be_visible()
    meta = ui.page.metadata(detail)
    assert meta["status"] == "reconciled" and meta["differences"] == "0", meta
    assert meta["administration"] == f"{ui.company} ({ADMIN.key})"

    detail = ui.page.open_check_partition(catalog.PERIOD_VALUES.table, check, ADMIN.key, FAILED.key)
    ui.shot("unreconciled_failed_period")
    expect(detail.get_by_text("Failed", exact=True).first).to_be_visible()
    meta = ui.page.metadata(detail)
    assert meta["status"] == "not_loaded" and "key_unique" in meta["reason"], meta
    assert "earlier data kept" in meta["reason"]


def test_the_launched_runs_show_on_the_jobs_page_with_the_company(ui):
    ui.page.open_job("period_assets_job")
    page = ui.page.page
    # the range run and the failed period's run, each with its status and the company's name
    expect(page.get_by_text("Success", exact=True)).to_have_count(1)
    expect(page.get_by_text("Failure", exact=True)).to_have_count(1)
    ui.shot("job_runs")
    expect(page.get_by_text(f"afas/company: {ui.company}", exact=True)).to_have_count(2)
    expect(page.get_by_text("No runs found")).to_have_count(0)


def test_the_launched_runs_show_on_the_overview_timeline(ui):
    ui.page.goto("/overview/activity/timeline")
    page = ui.page.page
    expect(page.get_by_text("period_assets_job", exact=True).first).to_be_visible()
    expect(page.get_by_text("administrations_job", exact=True).first).to_be_visible()
    ui.shot("timeline")
