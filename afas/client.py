"""The AFAS Online client: metainfo, typed rows of a slice, documents.

>>> from afas.client import AfasClient; from afas.connection import Connection  # doctest: +SKIP
>>> with AfasClient(Connection.from_token("O12345AA", token_xml)) as afas: # doctest: +SKIP
...     rows = afas.fetch("Visionplanner_transactions", administration=1, year=2025, period=3)
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import orjson
import polars as pl

import catalog
from catalog import Connector, Kind
from catalog.slices import Slice, afas_conditions
from afas.connection import Connection
from afas.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectorNotAuthorizedError,
    NotFoundError,
    ResponseFormatError,
)
from afas.filters import Condition, Filter, Op, render_query
from afas.frames import FrameSchema
from afas.metainfo import AppInfo, ConnectorInfo, parse_app_info, parse_connector_info
from afas.paging import SlicePager, WindowSink, fixed_fields
from afas.settings import ClientSettings
from afas.transport import CallStats, Target, Transport
from catalog.redaction import looks_like_secret, shown

#: What an AFAS file id looks like (32 hex); a file id typed otherwise is not repeated.
_FILE_ID = r"[0-9A-Za-z_-]{1,40}"

log = logging.getLogger("afas")


@dataclass(frozen=True)
class FetchResult:
    """Rows of one slice with what it cost.

    Attributes:
        frame: typed rows; columns are AFAS field ids as metainfo lists them (no rows when they were
            handed to an `on_window` sink).
        requests: AFAS calls made (retries included).
        pages: pages read.
        seconds: wall time.
        replaced: field id → cells in which AFAS sent `(replaced)` (empty in `frame` for typed
            fields, kept as text in text fields), as received: a row read twice where a window
            restarts (see afas/paging.py) counts twice.
    """

    frame: pl.DataFrame
    requests: int
    pages: int
    seconds: float
    replaced: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Document:
    """A file attached to a dossier item."""

    filename: str
    mimetype: str
    data: bytes


class AfasClient:
    """Talks to one AFAS environment.

    Args:
        connection: the environment and credentials.
        settings: wire behaviour (in-flight cap, page size, retries).
        http_transport: replaces the network in tests.
        sleep: replaces `time.sleep` in tests.
    """

    def __init__(
        self,
        connection: Connection,
        settings: ClientSettings | None = None,
        *,
        http_transport: httpx.BaseTransport | None = None,
        sleep=time.sleep,
    ):
        self.connection = connection
        self.settings = settings or ClientSettings()
        self.transport = Transport(connection, self.settings, http_transport=http_transport, sleep=sleep)
        # Twice the in-flight cap: a thread parsing the page it just received must not leave a call
        # slot idle; the limiter, not the pool, keeps AFAS at the cap.
        self._pool = ThreadPoolExecutor(max_workers=2 * self.settings.max_in_flight, thread_name_prefix="afas-page")
        # Pages parsed at once: one per core. More parse no faster, each holding a page's buffers;
        # the other threads wait for AFAS meanwhile.
        self._parsing = threading.BoundedSemaphore(os.cpu_count() or 1)
        self._info_lock = threading.Lock()
        self._app_info: AppInfo | None = None
        self._connector_info: dict[str, ConnectorInfo] = {}

    def __enter__(self) -> "AfasClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.transport.close()

    @property
    def requests(self) -> int:
        """AFAS calls made by this client so far (every attempt counts)."""
        return self.transport.stats.requests

    # -- metainfo -----------------------------------------------------------------------------

    def profit_version(self) -> str:
        """AFAS Profit's version: the cheapest call that proves the token works."""
        doc = _json(self.transport.get("profitversion"), "profitversion")
        return str(doc.get("version", "")) if isinstance(doc, dict) else ""

    def app_info(self, *, refresh: bool = False) -> AppInfo:
        """What the App Connector allows this token (cached)."""
        with self._info_lock:
            if self._app_info is None or refresh:
                self._app_info = parse_app_info(_json(self.transport.get("metainfo"), "metainfo"))
            return self._app_info

    def connector_info(self, connector_id: str) -> ConnectorInfo:
        """The live field list of a GetConnector (cached)."""
        with self._info_lock:
            cached = self._connector_info.get(connector_id)
        if cached is not None:
            return cached
        body = self._connector_call(f"metainfo/get/{connector_id}", None, connector_id)
        info = parse_connector_info(connector_id, _json(body, f"metainfo/get/{connector_id}"))
        with self._info_lock:
            self._connector_info[connector_id] = info
        return info

    # -- rows ---------------------------------------------------------------------------------

    def schema(self, connector_id: str) -> FrameSchema:
        """How this connector's rows are typed: live fields, catalog kinds where known."""
        return self._schema(connector_id, _catalog_entry(connector_id))

    def _schema(self, connector_id: str, entry: Connector | None) -> FrameSchema:
        return FrameSchema.from_metainfo(self.connector_info(connector_id), entry)

    def page(
        self,
        connector_id: str,
        *,
        filter: Filter | None = None,
        order: tuple[str, ...] | None = None,
        skip: int = 0,
        take: int | None = None,
        schema: FrameSchema | None = None,
    ) -> pl.DataFrame:
        """One page of rows, typed. `order` defaults to the catalog's sort key."""
        schema = schema or self.schema(connector_id)
        order = order if order is not None else _default_order(connector_id, _catalog_entry(connector_id))
        take = take or self.page_size(len(schema.columns))
        params = render_query(filter, order=order, skip=skip, take=take)
        page = schema.read_page(self._connector_call(f"connectors/{connector_id}", params, connector_id))
        _warn_replaced(connector_id, schema, page.replaced)
        return page.frame

    def page_size(self, n_fields: int) -> int:
        """Rows per page from the cells rule: `cells_per_page // fields`, at least 1."""
        return max(1, self.settings.cells_per_page // max(1, n_fields))

    def fetch(
        self,
        connector: Connector | str,
        *,
        slice: Slice | None = None,
        administration: int | None = None,
        year: int | None = None,
        period: int | None = None,
        filter: Filter | None = None,
        order: tuple[str, ...] | None = None,
        on_window: WindowSink | None = None,
    ) -> FetchResult:
        """Every row of one slice, typed, read in ordered pages.

        Args:
            connector: a catalog connector (which knows its key and slice fields), or the id of a
                GetConnector outside the catalog.
            slice: the slice to read (the connector's part of it); or give its parts instead:
            administration: UnitId (AdminId for the administrations connector).
            year: fiscal year (connectors sliced by period only).
            period: period 0..13 (connectors sliced by period only).
            filter: further conditions, AND-ed with the slice.
            order: sort fields; defaults to the catalog key. Must identify rows uniquely.
            on_window: takes the rows window by window as they arrive (see afas/paging.py), while
                the next window is read; `window_field` says on which field windows split.
        """
        started = time.perf_counter()
        tally = CallStats()
        entry, connector_id = _entry_and_id(connector)
        schema = self._schema(connector_id, entry)
        order = order if order is not None else _default_order(connector_id, entry)
        if slice is not None:
            if entry is None:
                raise ValueError(f"{connector_id!r} is not in the catalog, so it has no slices: give its filter instead")
            pins = slice.afas_conditions(entry)
        else:
            pins = afas_conditions(entry, administration, year, period)
        base = _equal_to(pins)
        if filter is not None:
            base = filter if base is None else base.and_(filter)
        take = self.page_size(len(schema.columns))
        replaced: Counter[str] = Counter()
        replaced_lock = threading.Lock()  # pages are parsed on the pool's threads

        def fetch_page(f: Filter | None, skip: int, size: int) -> pl.DataFrame:
            params = render_query(f, order=order, skip=skip, take=size)
            body = self._connector_call(f"connectors/{connector_id}", params, connector_id, tally)
            with self._parsing:
                page = schema.read_page(body)
            if page.replaced:
                with replaced_lock:
                    replaced.update(page.replaced)
            return page.frame

        pager = SlicePager(
            fetch_page,
            base,
            take=take,
            max_skip=self.settings.max_skip,
            resume_field=_resume_field(entry, order, base),
            pool=self._pool,
            parallel=self.settings.max_in_flight,
            on_window=on_window,
        )
        result = pager.run()
        frame = result.frame if result.frame.width else schema.empty()
        _warn_replaced(connector_id, schema, replaced)
        return FetchResult(frame, tally.requests, result.pages, time.perf_counter() - started, dict(replaced))

    def window_field(self, connector: Connector, slice: Slice) -> str | None:
        """The field on whose values `fetch` splits this slice into windows (no value in two of
        them), or None when windows may split anywhere (paging deep)."""
        return _resume_field(connector, connector.sort_fields, _equal_to(slice.afas_conditions(connector)))

    # -- documents ----------------------------------------------------------------------------

    def document(self, subject_id: int, file_id: str) -> Document:
        """A dossier item's attachment through the subject connector (`AppConnectorSubject`)."""
        if looks_like_secret(file_id):
            # It would go into the URL, which HTTP libraries log: a token pasted here must stop here.
            raise ConfigurationError("That file id looks like a token or key, not an AFAS file id (32 hexadecimal "
                                     "characters, file_id in dossier_items); it is not repeated here.")
        try:
            body = self._connector_call(f"subjectconnector/{subject_id}/{file_id}", None, catalog.SUBJECT_CONNECTOR)
        except NotFoundError:
            raise NotFoundError(
                f"AFAS has no file {shown(file_id, _FILE_ID)} on dossier item {subject_id}, or the token's user "
                "may not see it.",
                status_code=404,
            ) from None
        doc = _json(body, "subjectconnector")
        try:
            return Document(str(doc["filename"]), str(doc.get("mimetype") or ""), base64.b64decode(doc["filedata"]))
        except (KeyError, TypeError, ValueError):
            raise ResponseFormatError("The subject connector answered without filename and filedata.") from None

    # -- internals ----------------------------------------------------------------------------

    def _connector_call(
        self, path: str, params: list[tuple[str, str]] | None, connector_id: str, tally: CallStats | None = None
    ) -> bytes:
        try:
            return self.transport.get(path, params, target=Target(connector_id), tally=tally)
        except AuthenticationError:
            # AFAS answers 401 both for a rejected token and for a connector that is not ticked. If the
            # token still opens /metainfo, the connector is the problem.
            try:
                self.app_info(refresh=True)
            except AuthenticationError:
                raise
            raise ConnectorNotAuthorizedError(connector_id) from None


def _warn_replaced(connector_id: str, schema: FrameSchema, replaced: Mapping[str, int]) -> None:
    """One warning per field in which AFAS sent `(replaced)`: connector, field, count, what became of it."""
    kept = {c.id for c in schema.columns if c.keeps_text}
    for field_id, cells in sorted(replaced.items()):
        outcome = "kept as AFAS's text" if field_id in kept else "read as empty"
        log.warning("AFAS sent '%s' in %d cell(s) of %s field %s: %s", catalog.REPLACED, cells, connector_id,
                    field_id, outcome)


def _entry_and_id(connector: Connector | str) -> tuple[Connector | None, str]:
    """The catalog entry (None outside the catalog) and the id, looked up once per call."""
    if isinstance(connector, Connector):
        return connector, connector.id
    return _catalog_entry(connector), connector


def _catalog_entry(connector_id: str) -> Connector | None:
    try:
        return catalog.connector(connector_id)
    except KeyError:
        return None


def _default_order(connector_id: str, entry: Connector | None) -> tuple[str, ...]:
    if entry is None:
        raise ValueError(
            f"{connector_id!r} is not in the catalog: pass `order` with fields that identify a row uniquely, "
            "or AFAS pages may repeat and skip rows."
        )
    return entry.sort_fields


def _equal_to(pins) -> Filter | None:
    """The filter pinning each (field, value) of a slice's AFAS conditions."""
    return Filter.where(*(Condition(f, Op.EQ, v) for f, v in pins)) if pins else None


def _resume_field(entry: Connector | None, order: tuple[str, ...], base: Filter | None) -> str | None:
    """The first sort field not pinned by the slice, if it is an ascending integer field."""
    if entry is None:
        return None
    pinned = fixed_fields(base)
    for field_id in order:
        if field_id.lstrip("-") in pinned:
            continue
        if field_id.startswith("-"):
            return None
        try:
            return field_id if entry.field(field_id).kind is Kind.INT else None
        except KeyError:
            return None
    return None


def _json(body: bytes, what: str) -> object:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ResponseFormatError(f"AFAS answered {what} with something that is not JSON.") from None
