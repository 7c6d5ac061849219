"""The in-flight cap across processes: lock-file slots, counted by the simulator."""

from __future__ import annotations

import multiprocessing as mp

from afas.settings import ClientSettings
from tests.conftest import MEMBER, connection_for


def _fetch_in_child(base_url: str, token: str, slots_dir: str, unit: int) -> int:
    from afas.client import AfasClient
    from afas.connection import Connection

    conn = Connection.from_token("O12345AA", token, base_url=base_url)
    settings = ClientSettings(cells_per_page=18 * 20, shared_slots_dir=slots_dir, max_in_flight=3)
    with AfasClient(conn, settings) as client:
        return client.fetch("Visionplanner_transactions", administration=unit).frame.height


def test_cap_holds_across_processes(sim, tmp_path):
    sim.config.realism.latency_per_request_s = 0.03
    conn = connection_for(sim)
    ctx = mp.get_context("spawn")
    with ctx.Pool(3) as pool:
        heights = pool.starmap(
            _fetch_in_child,
            [(conn.base_url, sim.token_xml(MEMBER), str(tmp_path / "slots"), unit) for unit in (1, 2, 3)],
        )
    assert all(h > 0 for h in heights)
    # three processes each allowed 3 by their own limiter; the shared slots keep the total at 3
    assert sim.stats[MEMBER].max_in_flight == 3
