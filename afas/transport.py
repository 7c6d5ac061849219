"""One AFAS call, done right: the shared in-flight cap, retries that help, and errors that explain.

What is retried and how (afas-rest-api.md §6):
- 503 maintenance: wait the body's `retry_after` (capped), a few times.
- transient 500s, connection resets, refused connections: bounded exponential back-off, full jitter.
- AFAS's own 900 s time-out and our read time-out: pause first, because the query may still be
  running on AFAS and an immediate retry only adds load.
- never: 401, 403, 404 and functional 500s (unknown field, blocked connector, out of memory).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import random
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import certifi
import httpx
import orjson

from afas.connection import Connection
from afas.errors import (
    AfasError,
    AuthenticationError,
    ConnectorBlockedError,
    ConnectorNotAuthorizedError,
    IpRestrictedError,
    MaintenanceError,
    NotFoundError,
    OutOfMemoryError,
    ReadTimeoutError,
    ServerError,
    ServerTimeoutError,
    TransportError,
    UnknownFieldError,
)
from afas.limits import InFlightLimiter, limiter_for, shared_slots_for
from afas.settings import ClientSettings
from catalog.redaction import masked

log = logging.getLogger("afas")

_UNKNOWN_FIELD = re.compile(r"field\s+'([^']+)'\s+not\s+found", re.IGNORECASE)

#: How AFAS's server time-out reads, in Dutch ("De maximale tijdsduur … is verstreken" [C]) and in an
#: environment that answers in English (the wording is not public, so the likely words).
_TIMEOUT_MARKERS = ("maximale tijdsduur", "maximum time", "maximum duration", "timed out", "time-out", "timeout")


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every client of the process: loading the CA bundle costs ~40 ms of CPU,
    which per environment made creating 300 clients take 11 s (httpx builds one per client)."""
    return ssl.create_default_context(cafile=certifi.where())


@dataclass(frozen=True)
class Target:
    """What a call is about, so errors can name it: the connector id, when there is one."""

    connector_id: str | None = None


@dataclass
class CallStats:
    """Counters of one transport: calls made (each attempt counts), retries, seconds waited."""

    requests: int = 0
    retries: int = 0
    waited_s: float = 0.0


class Transport:
    """Sends calls to one AFAS environment.

    Args:
        connection: where and who.
        settings: caps, time-outs, retry policy.
        http_transport: an httpx transport to use instead of the network (tests).
        sleep: how to wait; injectable so tests need not sleep for real.
    """

    def __init__(
        self,
        connection: Connection,
        settings: ClientSettings,
        *,
        http_transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.connection = connection
        self.settings = settings
        self.stats = CallStats()
        self._stats_lock = threading.Lock()
        self._sleep = sleep
        self._random = random.Random()
        key = connection.base_url.lower()
        self.limiter: InFlightLimiter = limiter_for(key, settings.max_in_flight)
        self._shared = shared_slots_for(
            directory=settings.shared_slots_dir, postgres=settings.shared_slots_postgres, environment_key=key,
            environment=connection.name, capacity=settings.max_in_flight, wait_s=settings.slot_wait_s,
        )
        headers = {"Accept": "application/json", "Accept-Encoding": "gzip"}
        if settings.integration_id:
            headers["IntegrationId"] = settings.integration_id
        self.http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s),
            # Keep connections alive: AFAS documents resets with `Connection: close`.
            limits=httpx.Limits(max_connections=settings.max_in_flight + 2, max_keepalive_connections=8),
            transport=http_transport,
            verify=_tls_context(),
            follow_redirects=False,
        )

    def close(self) -> None:
        self.http.close()

    def get(
        self,
        path: str,
        params: list[tuple[str, str]] | None = None,
        *,
        target: Target = Target(),
        tally: CallStats | None = None,
    ) -> bytes:
        """GET `{base_url}/{path}` and return the body of a 200 answer, retrying what can be retried.

        Args:
            tally: also counts this call's attempts and waits there (per-slice metadata when several
                slices share the transport).

        Raises:
            AfasError: a subclass naming what went wrong and what to do.
        """
        url = f"{self.connection.base_url}/{path}"
        transient_attempts = 0
        maintenance_waits = 0
        refreshed_auth = False
        while True:
            try:
                return self._attempt(url, params, target, tally)
            except AuthenticationError:
                # An OAuth access token may have been revoked early: fetch a new one once.
                if self.connection.auth.oauth and not refreshed_auth:
                    refreshed_auth = True
                    self.connection.auth.invalidate()
                    continue
                raise
            except MaintenanceError as exc:
                wait = exc.retry_after if exc.retry_after is not None else self.settings.backoff_max_s
                if maintenance_waits >= self.settings.maintenance_retries or wait > self.settings.maintenance_max_wait_s:
                    raise
                maintenance_waits += 1
                log.warning("AFAS is in maintenance (503); waiting %.0f s as it asks (retry_after)", wait)
                self._wait(wait, tally)
            except AfasError as exc:
                if not exc.retryable or transient_attempts >= self.settings.retries:
                    raise
                transient_attempts += 1
                wait = self._backoff(transient_attempts, exc)
                log.warning(
                    "AFAS call to %s failed (%s); retry %d of %d in %.1f s",
                    masked(path.split("?")[0]), _reason(exc), transient_attempts, self.settings.retries, wait,
                )
                self._wait(wait, tally)

    def _backoff(self, attempt: int, exc: AfasError) -> float:
        if isinstance(exc, (ServerTimeoutError, ReadTimeoutError)):
            return self.settings.timeout_pause_s
        cap = min(self.settings.backoff_max_s, self.settings.backoff_base_s * 2 ** (attempt - 1))
        return self._random.uniform(cap / 2, cap)

    def _wait(self, seconds: float, tally: CallStats | None) -> None:
        with self._stats_lock:
            for stats in (self.stats, tally) if tally is not None else (self.stats,):
                stats.retries += 1
                stats.waited_s += seconds
        self._sleep(seconds)

    def _attempt(
        self, url: str, params: list[tuple[str, str]] | None, target: Target, tally: CallStats | None
    ) -> bytes:
        with self.limiter.slot(), (self._shared.slot() if self._shared else contextlib.nullcontext()):
            with self._stats_lock:
                self.stats.requests += 1
                if tally is not None:
                    tally.requests += 1
            headers = {"Authorization": self.connection.auth.authorization_header(self.http)}
            try:
                response = self.http.get(url, params=params, headers=headers)
            except httpx.TimeoutException as exc:
                raise ReadTimeoutError(
                    f"AFAS did not answer within {self.settings.read_timeout_s:.0f} s ({type(exc).__name__}); "
                    "the query may still run on AFAS, so we pause before trying again."
                ) from None
            except httpx.HTTPError as exc:
                raise TransportError(
                    f"The connection to AFAS at {httpx.URL(url).host} failed ({type(exc).__name__})."
                ) from None
        if response.status_code == 200:
            return response.content
        raise self._error(response, target)

    def _error(self, response: httpx.Response, target: Target) -> AfasError:
        status = response.status_code
        body = response.content
        if status == 401:
            text = body.decode("utf-8", "replace").strip()
            if target.connector_id and text:
                return ConnectorNotAuthorizedError(target.connector_id)
            return AuthenticationError(oauth=self.connection.auth.oauth)
        if status == 403:
            return IpRestrictedError()
        if status == 404:
            return NotFoundError(
                f"AFAS answered 404 for {response.request.url.path}. Check the environment code "
                f"({self.connection.environment.text}) and base URL; a query string over 2,049 characters "
                "also gives 404.",
                status_code=404,
            )
        if status == 503:
            doc = _json_or_none(body)
            retry_after = None
            message = None
            if isinstance(doc, dict):
                try:
                    retry_after = float(doc.get("retry_after")) if doc.get("retry_after") is not None else None
                except (TypeError, ValueError):
                    retry_after = None
                error = doc.get("error")
                message = error.get("message") if isinstance(error, dict) else None
            return MaintenanceError(retry_after, message)
        if status == 500:
            return _server_error(body, target)
        if 500 < status < 600:
            return ServerError(f"AFAS answered HTTP {status}.", retryable=True)
        return TransportError(f"AFAS answered an unexpected HTTP {status}.")


def _server_error(body: bytes, target: Target) -> AfasError:
    doc = _json_or_none(body)
    message = ""
    reference = None
    if isinstance(doc, dict):
        message = str(doc.get("externalMessage") or doc.get("message") or "")
        reference = doc.get("profitLogReference")
    lowered = message.lower()
    what = f" for '{target.connector_id}'" if target.connector_id else ""
    if m := _UNKNOWN_FIELD.search(message):
        return UnknownFieldError(
            f"AFAS does not know the field '{m.group(1)}'{what}: the connector definition differs from what "
            "this pipeline expects. Run `afas-pipeline doctor` to compare its fields with the catalog.",
            status_code=500,
            profit_log_reference=reference,
        )
    if "geblokkeerd" in lowered or "blocked" in lowered:
        return ConnectorBlockedError(target.connector_id or "?", message, profit_log_reference=reference)
    if "out of memory" in lowered or "out of string space" in lowered:
        return OutOfMemoryError(
            f"AFAS ran out of memory building a page{what}; fewer rows per page are needed.",
            connector_id=target.connector_id,
            retryable=False,
            profit_log_reference=reference,
            afas_message=message,
        )
    if any(marker in lowered for marker in _TIMEOUT_MARKERS):
        return ServerTimeoutError(
            f"AFAS stopped the query{what} at its 15-minute limit; we pause and retry, and the slice may need "
            "to be split finer.",
            retryable=True,
            profit_log_reference=reference,
            afas_message=message,
        )
    shown = f": {message[:200]}" if message else ""
    return ServerError(
        f"AFAS answered HTTP 500{what}{shown}", retryable=True, profit_log_reference=reference, afas_message=message
    )


def _json_or_none(body: bytes) -> object:
    try:
        return orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return None


def _reason(exc: AfasError) -> str:
    text = str(exc)
    return text if len(text) < 160 else text[:157] + "..."
