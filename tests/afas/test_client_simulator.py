"""The client against the simulator over loopback: paging, typing, retries, errors, the in-flight cap."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from urllib.parse import parse_qs

import polars as pl
import pytest

import catalog
from afas.errors import (
    AuthenticationError,
    ConnectorNotAuthorizedError,
    MaintenanceError,
    UnknownFieldError,
)
from afas.filters import Condition, Filter, Op
from afas_simulator import Realism
from tests.conftest import MEMBER
from tests.waits import RecordedWaits

TX = catalog.TRANSACTIONS.id


def truth(sim, connector_id, **slice_args) -> pl.DataFrame:
    return sim.environment(MEMBER).data.frame(connector_id, **slice_args)


def keys(frame: pl.DataFrame, connector=catalog.TRANSACTIONS) -> list[tuple]:
    return [tuple(r) for r in frame.select(list(connector.key)).iter_rows()]


def connector_requests(sim, connector_id=TX):
    return [r for r in sim.stats[MEMBER].requests() if r.path.lower().endswith(f"/connectors/{connector_id.lower()}")]


def test_slice_matches_ground_truth_typed(sim, make_client):
    client = make_client()
    result = client.fetch(TX, administration=1, year=2025, period=3)
    expected = truth(sim, TX, unit_id=1, year=2025, period=3)
    assert result.frame.height == expected.height > 0
    assert keys(result.frame) == keys(expected)
    assert result.frame.schema["AmtDebit"] == pl.Decimal(38, 2)
    assert result.frame["AmtDebit"].sum() == expected["AmtDebit"].sum()
    assert isinstance(result.frame["AmtCredit"][0], Decimal)
    assert result.frame.schema["Modified"] == pl.Datetime("us", "Europe/Amsterdam")
    # whole seconds on the wire; the local wall time is kept, not shifted by the false Z
    assert result.frame["Modified"].dt.replace_time_zone(None).to_list() == [
        m.replace(microsecond=0) if m is not None else None for m in expected["Modified"].to_list()
    ]


def test_a_time_in_the_autumns_repeated_hour_is_read_as_its_first_occurrence(sim, make_client):
    """02:00–03:00 on the last Sunday of October happens twice and AFAS prints both the same. The rule
    (afas.frames._amsterdam): take the first, summer-time occurrence (+02:00) — a change is then never
    dated after it happened, so a `Modified >=` look with its lookback cannot skip it."""
    client = make_client()
    autumn = dt.date(2025, 10, 26)
    frame = client.fetch(TX, administration=1, year=2025, period=10).frame
    night = frame.filter(pl.col("Created").dt.replace_time_zone(None).dt.date() == autumn)
    night = night.filter(pl.col("Created").dt.replace_time_zone(None).dt.hour() == 2)
    assert night.height > 0
    offsets = {t.utcoffset() for t in night["Created"].to_list()}
    assert offsets == {dt.timedelta(hours=2)}


def test_row_101_arrives(sim, make_client):
    client = make_client(cells_per_page=18 * 100)  # pages of 100, the size of AFAS's default trap
    expected = truth(sim, TX, unit_id=1)
    assert expected.height > 250
    got = client.fetch(TX, administration=1).frame
    assert got.height == expected.height
    assert keys(got) == keys(expected)
    takes = {parse_qs(r.query)["take"][0] for r in connector_requests(sim)}
    assert takes == {"100"}


def test_unordered_paging_loses_rows_but_ours_does_not(sim, make_client):
    client = make_client()
    expected = set(keys(truth(sim, TX, unit_id=1)))
    unordered: list[tuple] = []
    skip = 0
    while True:
        page = client.page(TX, filter=Filter.where(Condition("UnitId", Op.EQ, 1)), order=(), skip=skip, take=100)
        unordered += keys(page)
        if page.height < 100:
            break
        skip += 100
    assert len(unordered) == len(expected)
    assert set(unordered) != expected, "unordered pages should miss some rows and repeat others"
    assert len(set(unordered)) < len(unordered)
    ours = client.fetch(TX, administration=1).frame
    assert set(keys(ours)) == expected and ours.height == len(expected)


def test_a_non_unique_order_loses_rows_but_our_key_order_does_not(sim, make_client):
    """Profit_Transactions_Allocated: UnitId,EntryNo,SeqNo ties (one row per allocation of a line);
    the client's order is the connector's whole key, so every row arrives once."""
    client = make_client()
    connector = catalog.TRANSACTIONS_ALLOCATED
    assert set(connector.key) <= set(connector.sort_fields)
    broken = 0
    for period in range(1, 13):
        expected = keys(truth(sim, connector.id, unit_id=1, year=2025, period=period), connector)
        got: list[tuple] = []
        skip = 0
        where = Filter.where(Condition("UnitId", Op.EQ, 1), Condition("Year", Op.EQ, 2025),
                             Condition("Period", Op.EQ, period))
        while True:
            page = client.page(connector.id, filter=where, order=("UnitId", "EntryNo", "SeqNo"), skip=skip, take=5)
            got += keys(page, connector)
            if page.height < 5:
                break
            skip += 5
        assert len(got) == len(expected)
        broken += sorted(got) != sorted(expected)
        ours = client.fetch(connector.id, administration=1, year=2025, period=period).frame
        assert sorted(keys(ours, connector)) == sorted(expected)
    assert broken, "a non-unique order should miss some rows and repeat others in some periods"


def test_page_size_follows_cells_rule_and_short_page_stops(sim, make_client):
    client = make_client(cells_per_page=18 * 50)
    expected = truth(sim, TX, unit_id=2, year=2025)
    client.fetch(TX, administration=2, year=2025)
    reqs = connector_requests(sim)
    skips = sorted(int(parse_qs(r.query)["skip"][0]) for r in reqs)
    pages_needed = expected.height // 50 + 1
    # at most the pages fetched ahead while the short page was on its way
    assert pages_needed <= len(skips) <= pages_needed + 4
    assert all("orderbyfieldids" in parse_qs(r.query) for r in reqs)


def test_windows_keep_skip_small(sim, make_client):
    client = make_client(cells_per_page=18 * 40, max_skip=200)
    expected = truth(sim, TX, unit_id=1)
    got = client.fetch(TX, administration=1).frame
    assert keys(got) == keys(expected)
    skips = [int(parse_qs(r.query)["skip"][0]) for r in connector_requests(sim)]
    assert max(skips) < 200
    assert any("filterfieldids" in parse_qs(r.query) and "EntryNo" in parse_qs(r.query)["filterfieldids"][0]
               for r in connector_requests(sim))


def test_in_flight_never_exceeds_cap(sim, make_client):
    sim.config.realism.latency_per_request_s = 0.05
    client = make_client(cells_per_page=18 * 20, max_in_flight=3)
    got = client.fetch(TX, administration=1).frame
    assert got.height == truth(sim, TX, unit_id=1).height
    assert 2 <= sim.stats[MEMBER].max_in_flight <= 3


def test_default_cap_is_five_across_threads(sim, make_client):
    from concurrent.futures import ThreadPoolExecutor

    sim.config.realism.latency_per_request_s = 0.03
    clients = [make_client(cells_per_page=18 * 20) for _ in range(3)]
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda args: args[0].fetch(TX, administration=args[1]), [(c, u) for c in clients for u in (1, 2)]))
    assert sim.stats[MEMBER].max_in_flight == 5


def test_503_retry_after_is_honoured(sim, make_client, caplog):
    sim.faults.script("503", retry_after=30, connector=TX)
    waits = RecordedWaits()
    client = make_client(sleep=waits.sleep)
    with caplog.at_level(logging.WARNING, logger="afas"):
        got = client.fetch(TX, administration=1, year=2025, period=1).frame
    assert waits.waits == [30]  # what AFAS asked, not the back-off
    assert client.transport.stats.waited_s == 30
    assert got.height == truth(sim, TX, unit_id=1, year=2025, period=1).height
    statuses = [r.status for r in connector_requests(sim)]
    assert statuses[0] == 503 and statuses[1] == 200
    assert any("retry_after" in r.getMessage() for r in caplog.records)


def test_long_maintenance_is_reported_not_waited(sim, make_client):
    sim.faults.script("503", retry_after=7200)
    client = make_client(maintenance_max_wait_s=10)
    with pytest.raises(MaintenanceError, match="7200"):
        client.profit_version()


def test_transient_500_and_reset_are_retried(sim, make_client):
    sim.faults.script("500", connector=TX)
    sim.faults.script("reset", connector=TX)
    client = make_client()
    got = client.fetch(TX, administration=1, year=2025, period=2).frame
    assert got.height == truth(sim, TX, unit_id=1, year=2025, period=2).height
    assert client.transport.stats.retries == 2


def test_transient_failures_back_off_doubling_with_jitter(sim, make_client):
    sim.faults.script("500", times=4, connector=TX)
    waits = RecordedWaits()
    client = make_client(sleep=waits.sleep, backoff_base_s=1.0, backoff_max_s=3.0)
    got = client.fetch(TX, administration=1, year=2025, period=2).frame
    assert got.height == truth(sim, TX, unit_id=1, year=2025, period=2).height
    # the cap doubles per retry (1, 2, 4 -> at most 3 s); each wait is drawn from its upper half
    assert len(waits.waits) == 4
    for wait, cap in zip(waits.waits, (1.0, 2.0, 3.0, 3.0)):
        assert cap / 2 <= wait <= cap, waits.waits


def test_server_timeout_pauses_then_retries(sim, make_client):
    sim.faults.script("timeout", connector=TX, delay=0.01)
    waits = RecordedWaits()
    client = make_client(timeout_pause_s=60.0, sleep=waits.sleep)
    got = client.fetch(TX, administration=1, year=2025, period=2).frame
    assert waits.waits == [60.0]  # the pause, not the back-off: AFAS may still be running the query
    assert got.height == truth(sim, TX, unit_id=1, year=2025, period=2).height
    assert [r.status for r in connector_requests(sim)] == [500, 200]


@pytest.fixture
def english(sim):
    """The environment answering AFAS's texts in English."""
    spec = sim.environment(MEMBER).spec
    spec.language = "en"
    yield spec
    spec.language = "nl"


def test_english_texts_are_classified_like_dutch_ones(sim, make_client, english):
    from afas.errors import ConnectorBlockedError, ServerTimeoutError

    client = make_client(timeout_pause_s=0.01, retries=0)
    sim.faults.script("timeout", connector=TX, delay=0.01)
    with pytest.raises(ServerTimeoutError, match="15-minute limit"):
        client.fetch(TX, administration=1, year=2025, period=2)
    sim.faults.script("blocked", connector=TX)
    with pytest.raises(ConnectorBlockedError):
        client.fetch(TX, administration=1, year=2025, period=2)
    saved = english.ticked
    english.ticked = saved - {TX}
    try:
        with pytest.raises(ConnectorNotAuthorizedError, match=TX):
            client.fetch(TX, administration=1, year=2025, period=1)
    finally:
        english.ticked = saved
    # and a time-out in English is retried after the pause, like the Dutch one
    sim.faults.script("timeout", connector=TX, delay=0.01)
    retrying = make_client(timeout_pause_s=0.01)
    got = retrying.fetch(TX, administration=1, year=2025, period=2).frame
    assert got.height == truth(sim, TX, unit_id=1, year=2025, period=2).height
    assert retrying.transport.stats.retries == 1


def test_401_is_not_retried(sim, make_client):
    client = make_client(state="expired")
    with pytest.raises(AuthenticationError, match="Gebruikerstokens"):
        client.profit_version()
    assert sim.stats[MEMBER].count() == 1


def test_unknown_field_is_not_retried(sim, make_client):
    client = make_client()
    with pytest.raises(UnknownFieldError, match="Bestaatniet"):
        client.fetch(TX, administration=1, filter=Filter.where(Condition("Bestaatniet", Op.EQ, 1)))
    assert len(connector_requests(sim)) == 1


def test_the_obsolete_x_profit_error_header_is_sent_but_the_body_is_what_counts(sim, make_client):
    """AFAS still sends `X-PROFIT-ERROR` (base64 of the message) beside the JSON body; the client reads
    the body and never the header (the contract: don't rely on it)."""
    import httpx

    client = make_client()
    with pytest.raises(UnknownFieldError) as raised:
        client.fetch(TX, administration=1, filter=Filter.where(Condition("Bestaatniet", Op.EQ, 1)))
    raw = httpx.get(f"{sim.base_url(MEMBER)}/connectors/{TX}", params={"orderbyfieldids": "Bestaatniet"},
                    headers={"Authorization": sim.token_header(MEMBER)})
    assert raw.headers["x-profit-error"] and raw.json()["externalMessage"] == "Connector field 'Bestaatniet' not found"
    # classified from the body's text, and quoting the body's log reference
    assert "'Bestaatniet'" in str(raised.value) and "profitLogReference" in str(raised.value)


def test_blocked_connector_is_not_retried(sim, make_client):
    from afas.errors import ConnectorBlockedError

    sim.faults.script("blocked", connector=TX)
    client = make_client()
    with pytest.raises(ConnectorBlockedError, match="unblock"):
        client.fetch(TX, administration=1, year=2025, period=1)
    assert len(connector_requests(sim)) == 1


def test_out_of_memory_halves_the_page(sim, make_client):
    sim.config.realism.cell_budget = 18 * 60
    client = make_client(cells_per_page=18 * 100)
    expected = truth(sim, TX, unit_id=1, year=2025)
    got = client.fetch(TX, administration=1, year=2025).frame
    assert keys(got) == keys(expected)
    statuses = {r.status for r in connector_requests(sim)}
    assert statuses == {200, 500}


def test_an_answer_over_the_size_cap_halves_the_page(sim, make_client):
    # AFAS answers at most 75 MB; the cap is lowered so a page of 100 lines exceeds it and one of
    # 50 does not ("Out of String space"), and the client halves until a page fits.
    sim.config.realism.max_answer_bytes = 30_000
    client = make_client(cells_per_page=18 * 100)
    expected = truth(sim, TX, unit_id=1, year=2025)
    got = client.fetch(TX, administration=1, year=2025).frame
    assert keys(got) == keys(expected)
    assert got["AmtDebit"].sum() == expected["AmtDebit"].sum()
    statuses = {r.status for r in connector_requests(sim)}
    assert statuses == {200, 500}


def test_afas_like_faults_and_latency_lose_and_double_nothing(sim, make_client):
    # AFAS's behaviour at a hundredth of its latency and with faults far more often than in the
    # demo: every transient 500 and reset is retried and the year arrives exactly, row for row.
    rehearsal = Realism.rehearsal(time_scale=0.01, fault_rate=0.1)
    for name in ("latency_per_request_s", "latency_per_row_s", "transient_error_rate", "reset_rate"):
        setattr(sim.config.realism, name, getattr(rehearsal, name))
    client = make_client(cells_per_page=18 * 20)
    # Beside the random ones (how many depends on the seeded stream's position), one of each for sure.
    sim.faults.script("500", connector=TX)
    sim.faults.script("reset", connector=TX)
    before = sim.faults.random_hits()
    got = client.fetch(TX, administration=1, year=2025).frame
    hits = {k: v - before[k] for k, v in sim.faults.random_hits().items()}
    assert not sim.faults.pending()
    expected = truth(sim, TX, unit_id=1, year=2025)
    assert got.height == expected.height and keys(got) == keys(expected)
    assert got["AmtDebit"].sum() == expected["AmtDebit"].sum() and got["AmtCredit"].sum() == expected["AmtCredit"].sum()
    assert client.transport.stats.retries >= hits["500"] + hits["reset"] + 2


def test_profit6_decimals_parse(sim, make_client):
    sim.config.realism.profit6_decimals = True
    client = make_client()
    got = client.fetch(TX, administration=1, year=2025, period=4).frame
    expected = truth(sim, TX, unit_id=1, year=2025, period=4)
    assert got["AmtDebit"].to_list() == expected["AmtDebit"].cast(pl.Decimal(38, 2)).to_list()


def test_every_connector_loads_and_matches_truth(sim, make_client):
    client = make_client()
    for entry in catalog.CONNECTORS:
        args = {} if entry is catalog.ADMINISTRATIONS else {"administration": 2}
        got = client.fetch(entry.id, **args).frame
        t_args = {} if entry is catalog.ADMINISTRATIONS else {"unit_id": 2}
        expected = sim.environment(MEMBER).data.frame(entry.id, **t_args)
        assert got.height == expected.height, entry.id
        assert got.columns == list(entry.field_ids), entry.id


def test_document_download(sim, make_client):
    client = make_client()
    items = client.fetch(catalog.DOSSIER_ITEMS.id, administration=1).frame
    row = items.row(0, named=True)
    doc = client.document(row["SubjectId"], row["FileId"])
    assert doc.filename == row["FileName"]
    assert doc.data.startswith(b"%PDF")


def test_oauth_client_credentials(sim):
    from afas.client import AfasClient
    from afas.connection import Connection

    spec = sim.environment(MEMBER).spec
    oauth = sim.oauth_client(MEMBER)
    conn = Connection.from_oauth(spec.code, oauth.client_id, oauth.client_secret, base_url=sim.base_url(MEMBER))
    with AfasClient(conn) as client:
        assert client.fetch(TX, administration=1, year=2025, period=1).frame.height > 0
        client.profit_version()
        assert conn.auth.fetches == 1
    bad = Connection.from_oauth(spec.code, oauth.client_id, "wrong-secret", base_url=sim.base_url(MEMBER))
    with AfasClient(bad) as client, pytest.raises(AuthenticationError, match="OAuth"):
        client.profit_version()


def test_connector_not_ticked_names_it(sim, make_client):
    env = sim.environment(MEMBER).spec
    saved = env.ticked
    env.ticked = saved - {TX}
    try:
        client = make_client()
        with pytest.raises(ConnectorNotAuthorizedError) as err:
            client.fetch(TX, administration=1, year=2025, period=1)
        assert TX in str(err.value) and "GetConnector" in str(err.value)
    finally:
        env.ticked = saved


def test_ip_restriction(sim, make_client):
    from afas.errors import IpRestrictedError

    env = sim.environment(MEMBER).spec
    env.allowed_ips = frozenset({"10.9.9.9"})
    try:
        with pytest.raises(IpRestrictedError, match="IP"):
            make_client().profit_version()
    finally:
        env.allowed_ips = None


def test_no_secret_in_logs_or_errors(sim, make_client, caplog):
    sim.faults.script("500")
    sim.faults.script("503", retry_after=0)
    secrets = [sim.token(MEMBER, s).data for s in ("valid", "expired")]
    messages = []
    with caplog.at_level(logging.DEBUG):
        client = make_client()
        client.profit_version()
        client.fetch(TX, administration=1, year=2025, period=1)
        for state in ("expired", "blocked"):
            try:
                make_client(state=state).app_info()
            except Exception as exc:  # noqa: BLE001 - we inspect every error text
                messages.append(str(exc) + repr(exc))
    text = "\n".join(r.getMessage() for r in caplog.records) + "\n".join(messages) + repr(client.connection)
    import base64

    for s in secrets:
        xml = f"<token><version>1</version><data>{s}</data></token>"
        for form in (s, s.lower(), xml, base64.b64encode(xml.encode()).decode()):
            assert form not in text


@pytest.mark.slow
def test_a_million_row_slice_through_the_client():
    """Windows of at most 100,000 rows restart on EntryNo, so skip never goes deep."""
    from afas.client import AfasClient
    from afas.settings import ClientSettings
    from afas_simulator import Simulator, default_config
    from tests.conftest import connection_for

    config = default_config(seed=7, environments=1, administrations=1, lines_per_period=10, realism=Realism.fast())
    config.environments[0].ledger.big_slices = {(1, 2025, 6): 1_000_000}
    with Simulator(config) as big:
        with AfasClient(connection_for(big), ClientSettings()) as client:
            result = client.fetch(TX, administration=1, year=2025, period=6)
        expected = big.environment(MEMBER).data.frame(TX, unit_id=1, year=2025, period=6)
        assert result.frame.height == expected.height >= 1_000_000
        assert result.frame["AmtDebit"].sum() == expected["AmtDebit"].sum()
        assert result.frame["EntryNo"].is_sorted()
        skips = [int(parse_qs(r.query)["skip"][0]) for r in big.stats[MEMBER].requests() if "skip=" in r.query]
        assert max(skips) < 100_000
        assert big.stats[MEMBER].max_in_flight <= 5
