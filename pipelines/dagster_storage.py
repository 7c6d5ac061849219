"""Dagster's PostgreSQL storage with its connections kept open, for `deploy/dagster.yaml`.

dagster-postgres opens a new PostgreSQL connection for every statement outside the webserver
(SQLAlchemy's NullPool: "to prevent accumulating connections per DagsterInstance"), and a run stores
an event for every materialization and check evaluation, an asset event twice over (the event, then
its index rows). A new connection costs PostgreSQL a backend process and the client a TCP and auth
round trip; a backfill of 3 administrations × 24 periods stores about 1,300 events, and on this
machine that made Dagster on PostgreSQL 1.8 times as slow as on SQLite (benchmark 6).

This storage is the same one with Dagster's own pooled mode switched on in every process — the one
`dagster-webserver` already uses (`optimize_for_webserver`: SQLAlchemy's QueuePool, one connection
held per storage and process, a few more while threads of the process need them at once). No library
makes that choice for us: it is a setting dagster-postgres offers only to the webserver. A process then
holds up to two idle connections (runs and events; schedules stay unpooled): size PostgreSQL's
`max_connections` for two per Dagster process (webserver, daemon, run workers, step processes).
"""

from __future__ import annotations

from dagster_postgres.storage import DagsterPostgresStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config

#: No statement limit for runs (the webserver sets its own when it takes over the pool).
NO_STATEMENT_TIMEOUT_MS = 0
#: Connections are renewed after an hour, as the webserver does by default.
POOL_RECYCLE_S = 3600
#: Connections beyond the one held, while several threads of a process store at once.
POOL_MAX_OVERFLOW = 4


class PooledPostgresStorage(DagsterPostgresStorage):
    """`storage: postgres` with a connection held per process instead of one per statement."""

    def __init__(self, postgres_url: str, should_autocreate_tables: bool = True, inst_data=None, token_provider=None):
        super().__init__(postgres_url, should_autocreate_tables, inst_data, token_provider)
        for storage in (self._run_storage, self._event_log_storage):
            storage.optimize_for_webserver(NO_STATEMENT_TIMEOUT_MS, POOL_RECYCLE_S, POOL_MAX_OVERFLOW)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PooledPostgresStorage:
        return cls(
            inst_data=inst_data,
            postgres_url=pg_url_from_config(config_value),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
        )
