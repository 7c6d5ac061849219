"""Where the lake lives: its catalog (SQLite on one machine, PostgreSQL when shared) and its data files.

One setting picks the lake; the code path is the same for both:

| variable | meaning | default |
|---|---|---|
| `AFAS_WAREHOUSE` | the catalog: `sqlite` (embedded), `sqlite:/path/catalog.sqlite`, `postgres:dbname=afas host=db user=afas` (libpq key=value) or `postgresql://afas@db:5432/afas` | `sqlite`, i.e. `<data dir>/lake/catalog.sqlite` |
| `AFAS_WAREHOUSE_DATA` | the Parquet data files: a folder, or `s3://bucket/prefix/` | `<data dir>/lake/data/` |
| `AFAS_WAREHOUSE_BUSY_TIMEOUT_S` | how long a write keeps retrying a busy catalog or a conflict before it fails | 120 |
| `AFAS_WAREHOUSE_RETENTION_MONTHS` | snapshots (time travel) kept by maintenance | 13 |

A PostgreSQL password belongs in `PGPASSWORD` or `~/.pgpass` (libpq reads both), not in the setting;
one typed into it anyway is redacted from every message the warehouse produces (`redact`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from catalog.redaction import looks_like_secret, number
from warehouse.errors import WarehouseConfigError

#: Rows up to which a slice's insert is kept in the catalog instead of a Parquet file of its own
#: (DuckLake data inlining): a slice of a few rows (a small administration's period values, open
#: items, master data) then costs no file of its own. Not more: inlined rows are read through the
#: catalog's database, and measured here (SQLite catalog, 120 slices) a query over slices of 300
#: inlined rows took 4× as long as over Parquet files, and writing them 1.6× as long; at 100 rows
#: writes cost the same and queries stay close to files.
INLINE_ROW_LIMIT = 100

#: How long PostgreSQL lets one of our catalog statements wait for a lock (ms) before it fails (and
#: the whole transaction is retried), and after how long idle inside a transaction the server ends
#: a session: a stopped (SIGSTOP) or hung writer then loses its locks instead of blocking everyone.
PG_LOCK_TIMEOUT_MS = 5_000
PG_IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class LakeSettings:
    """One DuckLake: catalog, data path and how writes behave.

    Attributes:
        catalog: DuckLake's metadata catalog, `sqlite:<path>` or `postgres:<libpq conninfo>`.
        data_path: where data files go: an absolute folder ending in `/`, or `s3://…/`.
        busy_timeout_s: how long one write keeps retrying a busy catalog or a conflict (seconds, > 0).
        inline_row_limit: inserts of at most this many rows are inlined in the catalog (0 = never).
        retention_months: snapshots younger than this are never expired by maintenance (≥ 1).
    """

    catalog: str
    data_path: str
    busy_timeout_s: float = 120.0
    inline_row_limit: int = INLINE_ROW_LIMIT
    retention_months: int = 13

    def __post_init__(self) -> None:
        if not (self.catalog.startswith("sqlite:") or self.catalog.startswith("postgres:")):
            raise WarehouseConfigError("unknown lake catalog (not repeated here in case it holds a secret): use "
                                       "sqlite:PATH or postgres:CONNINFO")
        if self.busy_timeout_s <= 0 or self.retention_months < 1 or self.inline_row_limit < 0:
            raise WarehouseConfigError("busy_timeout_s must be > 0, retention_months ≥ 1 and inline_row_limit ≥ 0")

    def __repr__(self) -> str:  # the catalog may carry a password: never show it
        return (f"LakeSettings(catalog={redact(self.catalog)!r}, data_path={self.data_path!r}, "
                f"busy_timeout_s={self.busy_timeout_s}, inline_row_limit={self.inline_row_limit}, "
                f"retention_months={self.retention_months})")

    @classmethod
    def embedded(cls, folder: Path, **options) -> LakeSettings:
        """The one-machine lake: `<folder>/catalog.sqlite` and data files in `<folder>/data/`."""
        folder = Path(folder).resolve()
        return cls(f"sqlite:{folder / 'catalog.sqlite'}", f"{folder / 'data'}/", **options)

    @classmethod
    def postgres(cls, conninfo_or_url: str, data_path: str, **options) -> LakeSettings:
        """A shared lake: catalog in the PostgreSQL database named by a libpq conninfo or URL."""
        return cls(f"postgres:{_conninfo(conninfo_or_url)}", _data_path(data_path), **options)

    @classmethod
    def choose(cls, data_dir: Path, *, catalog: str | None = None, data_path: str | None = None,
               busy_timeout_s: str | None = None, retention_months: str | None = None) -> LakeSettings:
        """The lake the `AFAS_WAREHOUSE*` settings name (see the module docstring), given as text.

        The pipeline's settings (`settings.Settings.lake`) read the variables; this turns their text
        into a lake, and refuses a wrong value without repeating it.
        """
        options: dict[str, object] = {}
        # Python's own ValueError repeats the value, which may be a secret typed into the wrong variable.
        for variable, option, kind, text in (("AFAS_WAREHOUSE_BUSY_TIMEOUT_S", "busy_timeout_s", float, busy_timeout_s),
                                             ("AFAS_WAREHOUSE_RETENTION_MONTHS", "retention_months", int, retention_months)):
            if text:
                options[option] = number(variable, text, None, kind, WarehouseConfigError)
        choice = (catalog or "sqlite").strip()
        # A password in a conninfo is taken out of every message (`redact`); anything else shaped like
        # a secret (a token pasted here) would be shown as a path or database name: refused.
        if looks_like_secret(redact(choice)):
            raise WarehouseConfigError("AFAS_WAREHOUSE looks like a token or key, not a lake catalog (the value is "
                                       "not repeated here): use 'sqlite', 'sqlite:/path/catalog.sqlite' or "
                                       "'postgres:dbname=… host=… user=…' with the password in PGPASSWORD")
        folder = Path(data_dir) / "lake"
        data = data_path or ""
        if looks_like_secret(data):  # it would name folders and show in every description of the lake
            raise WarehouseConfigError("AFAS_WAREHOUSE_DATA looks like a key or password, not a folder or s3:// URL "
                                       "(the value is not repeated here); credentials belong in AWS_* variables")
        if choice == "sqlite":
            settings = cls.embedded(folder, **options)
            return replace(settings, data_path=_data_path(data)) if data else settings
        if choice.startswith("sqlite:"):
            path = Path(choice.removeprefix("sqlite:")).expanduser().resolve()
            return cls(f"sqlite:{path}", _data_path(data or str(folder / "data")), **options)
        if choice.startswith(("postgres:", "postgresql://", "postgres://")):
            return cls.postgres(choice.removeprefix("postgres:") if choice.startswith("postgres:") else choice,
                                data or str(folder / "data"), **options)
        raise WarehouseConfigError(
            "AFAS_WAREHOUSE is not a lake catalog (the value is not repeated here in case it holds a secret): "
            "use 'sqlite' (the default), "
            "'sqlite:/path/catalog.sqlite', 'postgres:dbname=… host=… user=…' or 'postgresql://user@host/db'"
        )

    @property
    def kind(self) -> str:
        """`sqlite` or `postgres`."""
        return self.catalog.split(":", 1)[0]

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite catalog file, for the embedded lake."""
        return Path(self.catalog.removeprefix("sqlite:")) if self.kind == "sqlite" else None

    @property
    def is_object_storage(self) -> bool:
        return self.data_path.startswith(("s3://", "s3a://", "gs://", "r2://", "http://", "https://"))

    def ducklake_uri(self, *, for_writing: bool = True) -> str:
        """`ducklake:<catalog>`, with PostgreSQL's timeouts for our own sessions."""
        if self.kind == "postgres" and for_writing and "options=" not in self.catalog:
            timeouts = (f"-c lock_timeout={PG_LOCK_TIMEOUT_MS} "
                        f"-c idle_in_transaction_session_timeout={PG_IDLE_IN_TRANSACTION_TIMEOUT_MS}")
            return f"ducklake:{self.catalog} options='{timeouts}'"
        return f"ducklake:{self.catalog}"

    def describe(self) -> str:
        """A one-line description without secrets, for logs and messages."""
        return f"DuckLake with {self.kind} catalog {redact(self.catalog.split(':', 1)[1])}, data in {self.data_path}"


def _data_path(path: str) -> str:
    if "://" in path:
        return path if path.endswith("/") else path + "/"
    return f"{Path(path).expanduser().resolve()}/"


def _conninfo(text: str) -> str:
    """A libpq key=value conninfo from a conninfo or a `postgresql://` URL (DuckDB's scanner wants key=value)."""
    if not text.startswith(("postgresql://", "postgres://")):
        return text.strip()
    url = urlsplit(text)
    parts = {
        "dbname": unquote(url.path.lstrip("/")) or None,
        "host": url.hostname,
        "port": str(url.port) if url.port else None,
        "user": unquote(url.username) if url.username else None,
        "password": unquote(url.password) if url.password else None,
        **dict(parse_qsl(url.query)),
    }
    return " ".join(f"{k}={_quote(v)}" for k, v in parts.items() if v)


def _quote(value: str) -> str:
    if value and not re.search(r"[\s'\\]", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


_PASSWORDS = (
    re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE),
    re.compile(r"(://[^:/@\s]+:)([^@\s]+)(@)"),
)


def without_password(settings: LakeSettings) -> tuple[LakeSettings, str | None]:
    """The settings with a PostgreSQL password taken out of the catalog, and that password.

    For handing the lake to another program (DuckDB's shell) on its command line, which `ps` shows:
    the password then travels in `PGPASSWORD`, which libpq reads, instead.
    """
    found = _PASSWORDS[0].search(settings.catalog)
    if settings.kind != "postgres" or not found:
        return settings, None
    value = found.group(2)
    if value.startswith("'"):
        value = re.sub(r"\\(.)", r"\1", value[1:-1])
    catalog = (settings.catalog[:found.start()] + settings.catalog[found.end():]).replace("  ", " ").strip()
    return replace(settings, catalog=catalog), value


def redact(text: str) -> str:
    """`text` with every PostgreSQL password (conninfo `password=…` or a URL's `user:…@`) replaced by `***`."""
    text = _PASSWORDS[0].sub(r"\1***", text)
    return _PASSWORDS[1].sub(r"\1***\3", text)
