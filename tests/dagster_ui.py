"""Dagster's UI in a real browser for end-to-end tests: Debian's Chromium driven by Playwright.

Playwright's own browser downloads are never used: the browser is /usr/bin/chromium (`make test`
installs it when missing). What Dagster 1.13's UI offers to find things by:

- no `data-testid` attributes: the production build strips them (`testId()` returns null outside
  jest), so these helpers find things by visible text, roles and URLs;
- the asset graph draws each asset as an SVG `<foreignObject>` and leaves out the nodes outside the
  viewport, hence a tall viewport; a node's status rows load after its name (a spinner first);
- partition keys are rendered twice (a copy in a `MiddleTruncate_measure` div measures truncation,
  and Playwright counts it as visible): take `.first`, or filter on `span`;
- on localhost a "Join the Dagster community" dialog covers every page a second after it loads,
  unless the browser's localStorage says it was dismissed (`communityNux`).
"""

from __future__ import annotations

import contextlib
import re
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from tests.dagster_processes import graphql

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1600, "height": 2400}  # tall: the graph renders only the nodes in view
TIMEOUT_MS = 30_000
_NO_COMMUNITY_DIALOG = "window.localStorage.setItem('communityNux', JSON.stringify('1'));"


@contextlib.contextmanager
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: `make browser` installs Debian's chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                              args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


@contextlib.contextmanager
def ui_page(graphql_url: str) -> Iterator["DagsterUI"]:
    """A fresh browser page on the Dagster webserver that serves `graphql_url`."""
    with browser() as b:
        context = b.new_context(viewport=VIEWPORT)
        context.add_init_script(_NO_COMMUNITY_DIALOG)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        expect.set_options(timeout=TIMEOUT_MS)
        try:
            yield DagsterUI(page, graphql_url)
        finally:
            context.close()


LOCATIONS = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } }
} } } }"""


def loaded_location(graphql_url: str, timeout_s: float = 120) -> str:
    """The only code location's name, once loaded (the webserver answers before it has loaded it)."""
    deadline = time.monotonic() + timeout_s
    while True:
        entries = graphql(graphql_url, LOCATIONS)["workspaceOrError"]["locationEntries"]
        assert len(entries) == 1, entries
        entry = entries[0]
        if entry["loadStatus"] == "LOADED":
            assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry
            return entry["name"]
        assert time.monotonic() < deadline, f"the code location did not load: {entry}"
        time.sleep(1)


class DagsterUI:
    """Pages of one Dagster webserver, and what they show."""

    def __init__(self, page: Page, graphql_url: str):
        self.page = page
        self.base = graphql_url.removesuffix("/graphql")
        self.location = loaded_location(graphql_url)

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def screenshot(self, path: Path) -> Path:
        self.page.screenshot(path=str(path), full_page=True)
        return path

    # The asset graph --------------------------------------------------------------------------

    def open_asset_group(self, group: str) -> None:
        """The lineage graph of one asset group (`/asset-groups` is the global one, with a sidebar)."""
        self.goto(f"/locations/{urllib.parse.quote(self.location, safe='')}/asset-groups/{group}")

    def asset_node(self, asset: str) -> Locator:
        """The graph node of `asset` (an SVG foreignObject; use text_content, not inner_text)."""
        return self.page.locator("foreignObject").filter(has=self.page.get_by_text(asset, exact=True))

    def expect_asset_node(self, asset: str, *texts: str) -> Locator:
        """Waits until `asset`'s node shows, with each of `texts` (e.g. "81 partitions", "100% filled")."""
        node = self.asset_node(asset)
        expect(node).to_have_count(1)
        for text in texts:
            expect(node).to_contain_text(text)
        return node

    # An asset's partitions ---------------------------------------------------------------------

    def open_partition(self, asset: str, partition_key: str) -> Locator:
        """The Partitions tab of `asset` with one partition (`admin|period` when 2-dimensional)
        chosen; returns the detail panel on the right, once loaded."""
        query = urllib.parse.urlencode({"view": "partitions", "partition": partition_key})
        self.goto(f"/assets/{asset}?{query}")
        detail = self.partition_detail()
        expect(detail.get_by_text(partition_key, exact=True).first).to_be_visible()
        return detail

    def partition_detail(self) -> Locator:
        return (self.page.locator("div")
                .filter(has=self.page.get_by_text("Latest materialization", exact=True))
                .filter(has=self.page.get_by_text("Metadata", exact=True)).last)

    def partition_status_counts(self) -> dict[str, int]:
        """The Partitions tab's filter checkboxes: {"Failed": 0, "Materialized": 3, ...}."""
        label = self.page.locator("label").filter(has_text=re.compile(r"^Materialized \(\d+\)$"))
        expect(label).to_be_visible()
        counts = {}
        for text in self.page.locator("label").all_inner_texts():
            m = re.fullmatch(r"(Failed|Materialized|Materializing|Missing) \((\d+)\)", text.strip())
            if m:
                counts[m.group(1)] = int(m.group(2))
        return counts

    def partition_failure(self, detail: Locator) -> tuple[str, str]:
        """For a partition whose latest run failed (Failed in the list): the detail's banner ("Run
        <id> failed, and did not materialize this asset.") and, from its "View logs" dialog (the
        run's event log, in place), the STEP_FAILURE event's text: the Failure's description and
        metadata (failed_slices, "<key> summary", "<key> error", ...). Closes the dialog."""
        banner = detail.get_by_text(re.compile(r"^Run \S+ failed, and did not materialize this asset\.$"))
        expect(banner).to_be_visible()
        detail.get_by_role("button", name="View logs").click()
        dialog = self.page.get_by_role("dialog")
        dialog.get_by_placeholder("Filter…").fill("type:STEP_FAILURE")
        # A log row has no role; its CSS-module class is the handle (prefix stable within a release).
        event = dialog.locator("[class*='LogsRowComponents_row__']").filter(
            has=self.page.get_by_text("STEP_FAILURE", exact=True))
        expect(event).to_have_count(1)
        text = event.inner_text()  # all of it, also what "View full message" would unfold
        dialog.get_by_role("button", name="Done").click()
        return banner.inner_text().strip(), text

    @staticmethod
    def metadata(panel: Locator) -> dict[str, str]:
        """The metadata table in `panel` (a partition's detail, a check's latest execution): key → text."""
        table = panel.locator("table").first
        expect(table).to_be_visible()
        rows = {}
        for row in table.locator("tr").all():
            cells = row.locator("td")
            if cells.count() >= 2:
                rows[cells.nth(0).inner_text().strip()] = cells.nth(1).inner_text().strip()
        return rows

    # Asset checks ------------------------------------------------------------------------------

    def open_check(self, asset: str, check: str) -> Locator:
        """The Checks tab of `asset` with `check` chosen: returns its Overview pane (About, Latest
        execution with Evaluation result, Timestamp, Partition, Metadata). A check declared with a
        partitions_def gets a further "Partitions" tab there (`check_tab`); unpartitioned checks
        show "Partition —"."""
        query = urllib.parse.urlencode({"view": "checks", "checkDetail": check})
        self.goto(f"/assets/{asset}?{query}")
        pane = (self.page.locator("div")
                .filter(has=self.page.get_by_text("Latest execution", exact=True))
                .filter(has=self.page.get_by_text("Evaluation result", exact=True)).last)
        expect(pane).to_be_visible()
        return pane

    def check_tab(self, name: str) -> None:
        """"Overview", "Execution history" or (partitioned checks only) "Partitions". The asset's own
        tabs (Overview, Partitions, ...) come first on the page: the check's are the last ones."""
        self.page.get_by_role("tab", name=name, exact=True).last.click()

    def open_check_partition(self, asset: str, check: str, *keys: str) -> Locator:
        """A partitioned check's Partitions tab with one partition picked (one key per dimension, in the
        order the lists show them); returns the detail on the right once it names the partition."""
        self.open_check(asset, check)
        self.check_tab("Partitions")
        for key in keys:
            self.page.get_by_text(key, exact=True).first.click()
        title = "|".join(keys)
        detail = (self.page.locator("div")
                  .filter(has=self.page.get_by_text(title, exact=True))
                  .filter(has=self.page.get_by_text("Latest execution", exact=True)).last)
        expect(detail).to_be_visible()
        return detail

    def check_result(self, pane: Locator) -> str:
        """"Passed", "Failed", "Not evaluated", ... as the Overview's "Latest execution" shows it.

        Careful: that is the execution *for the asset's latest materialization*. After a failed run
        (whose check results have no target materialization) it was "Not evaluated" in some runs of
        the same test data and that failed run's empty "Passed" (slices_checked 0) in others; the
        Execution history (`check_executions`) lists every evaluation, newest first."""
        statuses = r"^(Passed|Failed|Warning|Skipped|Running|Execution failed|Not evaluated)$"
        result = pane.get_by_text(re.compile(statuses)).first
        expect(result).to_be_visible()
        return result.inner_text().strip()

    def check_executions(self) -> list[dict[str, str]]:
        """The open check's Execution history tab, newest first: result ("Passed", "Failed", ...),
        timestamp, run_id (from the timestamp's link to the run), target (materialization or "-")."""
        self.check_tab("Execution history")
        table = self.page.locator("table").filter(
            has=self.page.get_by_role("columnheader", name="Evaluation result"))
        expect(table.locator("tbody tr").first).to_be_visible()
        rows = []
        for row in table.locator("tbody tr").all():
            cells = row.locator("td")
            link = cells.nth(1).locator("a").first
            href = link.get_attribute("href") or ""
            rows.append({
                "result": cells.nth(0).inner_text().strip(),
                "timestamp": cells.nth(1).inner_text().strip(),
                "run_id": href.removeprefix("/runs/").split("?")[0],
                "target": cells.nth(2).inner_text().strip(),
            })
        return rows

    # Jobs --------------------------------------------------------------------------------------

    def open_job(self, job: str, tab: str = "runs") -> None:
        """`tab`: "" (overview), "runs" or "partitions". The Runs tab lists only runs launched through
        this code location (it filters on the .dagster/repository tag): execute_in_process runs show
        under /runs but not here ("No runs found")."""
        suffix = f"/{tab}" if tab else ""
        self.goto(f"/locations/{urllib.parse.quote(self.location, safe='')}/jobs/{job}{suffix}")
