"""The AFAS Profit REST API as the simulator serves it: checks in AFAS's order, then the endpoint.

`AfasApi.handle` takes a routed request (environment member and path segments after
`ProfitRestServices/`) and returns a `Reply`. The order of checks is part of the contract a client
sees, so it is written out once, in `_answer`:

1. query string longer than 2,049 characters, `?` included → 404 (IIS rejects it before Profit) [S]
2. unknown environment or endpoint → 404; wrong method → 405 [G]
3. maintenance → 503 with `retry_after` in the body [C]
4. `oauth/token` is answered here, without a token
5. credentials → 401 (500 for a plain-text token) [C]; IP restriction → 403 [C]
6. more calls in flight than `Realism.max_in_flight` → 500 [G text]
7. scripted and random faults (500, reset, time-out, slow, blocked)
8. the endpoint itself; GetConnector pages: connector ticked (401) and not blocked (500), query
   valid (500), page within the cell budget (500 "Out of memory") and the 75 MB answer cap (500
   "Out of String space"), work within the server time-out.
"""

from __future__ import annotations

import base64
import logging
import time
import urllib.parse
from typing import TYPE_CHECKING

import polars as pl

from afas_simulator import query as q
from afas_simulator.auth import Principal, authorize_connector, authorize_subject, canonical_connector_id, check_ip
from afas_simulator.definitions import break_row, replaced_cells, reshape
from afas_simulator.environment import Environment
from afas_simulator.faults import Hit
from afas_simulator.messages import (
    ERROR_NUMBER_OUT_OF_MEMORY,
    NOT_AUTHORISED_TEXT,
    OUT_OF_MEMORY_TEXT,
    OUT_OF_STRING_SPACE_TEXT,
    SUBJECT_FILE_MISSING_TEXT,
    TRANSIENT_TEXT,
    Refusal,
    Reply,
    Request,
    afas_error,
    bytes_reply,
    in_language,
    json_reply,
    not_found,
)
from afas_simulator.metainfo import connector_metainfo, environment_metainfo
from afas_simulator.rights import may_open_subject, visible_rows
from afas_simulator.stats import RequestRecord
from afas_simulator.wire import render_rows

if TYPE_CHECKING:
    from catalog import Connector
    from afas_simulator.simulator import Simulator

log = logging.getLogger(__name__)

#: Longest query string AFAS accepts (the contract: "capped at 2,049 characters; longer → 404" [S]),
#: not counting the `?`.
MAX_QUERY_STRING = 2049

_GET, _POST = frozenset({"GET", "HEAD"}), frozenset({"POST"})


class AfasApi:
    """Answers AFAS API requests for every environment of a simulator.

    Args:
        sim: the simulator: environments, authenticator, faults, statistics, frame cache.
    """

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim

    def handle(self, request: Request, member: str, segments: list[str]) -> Reply:
        """Answer one request; never raises.

        Args:
            request: the request.
            member: the environment's key from the URL or Host header ("12345", "T12345" for test).
            segments: decoded path segments after `ProfitRestServices/` (e.g. `["connectors", "X"]`).
        """
        started, at = time.perf_counter(), time.time()
        env = self._sim.find_environment(member)
        stats = self._sim.stats.environment(env.key if env is not None else "")
        in_flight = stats.enter()
        reply: Reply | None = None
        try:
            try:
                reply = self._answer(request, env, segments, in_flight)
            except Refusal as refusal:
                reply = refusal.reply
            if env is not None:
                reply = in_language(reply, env.spec.language)
        except Exception:
            # A simulator bug must still look like AFAS to the client (a 500 with a log reference).
            log.exception("simulator failed on %s %s", request.method, request.path)
            reply = afas_error(500, TRANSIENT_TEXT)
        finally:
            stats.leave()
            stats.record(
                RequestRecord(
                    method=request.method,
                    path=request.path,
                    query=request.query,
                    status=_status(reply),
                    endpoint=_endpoint_key(segments),
                    rows=reply.rows if reply is not None else 0,
                    seconds=time.perf_counter() - started,
                    at=at,
                )
            )
        return reply

    def _answer(self, request: Request, env: Environment | None, segments: list[str], in_flight: int) -> Reply:
        sim = self._sim
        if len(request.query) > MAX_QUERY_STRING or env is None:
            return not_found()
        endpoint = _match(segments)
        if endpoint is None:
            return not_found()
        allowed = _POST if endpoint == "oauth" else _GET
        if request.method not in allowed:
            message = f"The requested resource does not support http method '{request.method}'."
            return json_reply({"message": message}, 405)
        connector_id = segments[1] if endpoint == "connectors" else None
        down = sim.faults.maintenance(env.key, connector_id)
        if down is not None:
            return down
        if endpoint == "oauth":
            return sim.auth.issue_token(env.spec, request.body, request.header("Authorization"))
        principal = sim.auth.identify(env.spec, request.header("Authorization"))
        check_ip(env.spec, request.client_ip)
        crowded = sim.faults.too_many_in_flight(in_flight)
        if crowded is not None:
            return crowded
        hit = sim.faults.before_work(env.key, connector_id)
        if hit.reply is not None:
            return hit.reply
        if connector_id is not None:
            return self._connector_page(request, env, principal, connector_id, hit)
        late = sim.faults.perform(sim.faults.work_seconds(0, 0) + hit.extra_delay)
        if late is not None:
            return late
        if endpoint == "profitversion":
            return json_reply({"version": sim.config.profit_version})
        if endpoint == "metainfo":
            return json_reply(environment_metainfo(env.spec, principal.expires))
        if endpoint == "metainfo/get":
            connector = authorize_connector(env.spec, segments[2], blocked=hit.blocked)
            return json_reply(connector_metainfo(connector, env.spec.field_changes.get(connector.id)))
        return self._subject_file(env, principal, segments[1], segments[2])

    # ---- GetConnector pages -------------------------------------------------------------------

    def _connector_page(
        self, request: Request, env: Environment, principal: Principal, connector_id: str, hit: Hit
    ) -> Reply:
        sim = self._sim
        started = time.perf_counter()
        connector = authorize_connector(env.spec, connector_id, blocked=hit.blocked)
        try:
            query = q.parse_query(urllib.parse.parse_qsl(request.query, keep_blank_values=True), connector)
        except q.QueryError as error:
            return afas_error(500, str(error))  # [S text, G status]
        try:
            result = self._result(env, principal, connector, query)
        except KeyError:
            # Ticked but without data here: to the caller it does not exist.
            return afas_error(401, NOT_AUTHORISED_TEXT)
        changes = env.spec.field_changes.get(connector.id)
        rows = reshape(q.page(result, query), changes)
        if hit.bad_row:
            rows = break_row(rows, connector, hit.bad_row)
        realism = sim.faults.realism
        if rows.height * rows.width > realism.cell_budget:
            # [G] measured on the rows actually answered (take × columns when the page is full;
            # everything for -1/-1), the way a server runs out of memory building the answer.
            return afas_error(500, OUT_OF_MEMORY_TEXT, ERROR_NUMBER_OUT_OF_MEMORY)
        body = render_rows(rows, skip=query.skip, take=query.take, profit6=realism.profit6_decimals,
                           replaced=replaced_cells(rows, connector, changes))
        if len(body) > realism.max_answer_bytes:
            # [S] one call is at most 75 MB; [G] it fails the way a too-large string does.
            return afas_error(500, OUT_OF_STRING_SPACE_TEXT, ERROR_NUMBER_OUT_OF_MEMORY)
        # The latency model is AFAS's whole answer time: the simulator's own work of selecting and
        # rendering the rows is part of it, not extra (a scripted slow-down still comes on top).
        model = sim.faults.work_seconds(rows.height, max(query.skip, 0))
        remaining = max(0.0, model - (time.perf_counter() - started))
        late = sim.faults.perform(remaining + hit.extra_delay, planned=model + hit.extra_delay)
        if late is not None:
            return late
        return bytes_reply(body, rows=rows.height)

    def _result(self, env: Environment, principal: Principal, connector: Connector, query: q.Query) -> pl.DataFrame:
        """The filtered and ordered rows of a query, reused across pages when the order is unique.

        Only the rows the caller's user may see take part (rights.py), before filtering and paging.
        """
        unit, year, period = q.slice_hint(query)

        def visible() -> pl.DataFrame:
            return visible_rows(env.data.frame(query.connector_id, unit, year, period), principal.hidden_units)

        if not query.orders_uniquely(connector):
            # Without a unique order the database's order of ties differs between calls [C]:
            # reshuffle every time, never cache.
            return q.apply(visible(), query, shuffle_seed=self._sim.faults.shuffle_seed())

        def compute() -> pl.DataFrame:
            return q.apply(visible(), query, shuffle_seed=None)

        # The user's restriction is part of the key: a cached result of a user with more rights
        # must never be served to one with fewer.
        key = (env.key, env.version, principal.hidden_units, query.cache_key())
        return self._sim.frames.get_or_compute(key, compute)

    # ---- documents ------------------------------------------------------------------------------

    def _subject_file(self, env: Environment, principal: Principal, subject_id: str, file_id: str) -> Reply:
        authorize_subject(env.spec)
        try:
            number = int(subject_id)
        except ValueError:
            number = None
        if number is not None and not may_open_subject(env.data, number, principal.hidden_units):
            number = None  # a file the user lacks rights to answers like a missing one [C]
        found = env.data.subject_file(number, file_id) if number is not None else None
        if found is None:
            return afas_error(404, SUBJECT_FILE_MISSING_TEXT)  # [C status, G body]
        return json_reply(
            {
                "filename": found.filename,
                "mimetype": found.mimetype,
                "filedata": base64.b64encode(found.data).decode("ascii"),
            }
        )


def _match(segments: list[str]) -> str | None:
    """The endpoint a path names (case-insensitive [C]), or None."""
    lowered = [s.lower() for s in segments]
    n = len(lowered)
    if n == 1 and lowered[0] in ("profitversion", "metainfo"):
        return lowered[0]
    if n == 3 and lowered[:2] == ["metainfo", "get"]:
        return "metainfo/get"
    if n == 2 and lowered[0] == "connectors" and segments[1]:
        return "connectors"
    if n == 3 and lowered[0] == "subjectconnector":
        return "subjectconnector"
    if n == 2 and lowered == ["oauth", "token"]:
        return "oauth"
    return None


def _endpoint_key(segments: list[str]) -> str:
    """The statistics key: "connectors/<id>" and "metainfo/get/<id>" per connector, else the endpoint."""
    endpoint = _match(segments)
    if endpoint in ("connectors", "metainfo/get"):
        connector_id = segments[-1]
        return f"{endpoint}/{canonical_connector_id(connector_id) or connector_id}"
    return endpoint or "unknown"


def _status(reply: Reply | None) -> int:
    if reply is None:
        return 500
    return 0 if reply.reset else reply.status
