"""The pipeline's settings: every `AFAS_*` variable, read in one place, once per process, typed.

Nothing reads the environment at import time. The command line reads `Settings.from_environment()`
when it starts; Dagster reads it when it loads the code location (`pipelines.definitions`), and
hands it to the resources as their configuration (`assets.resources`), where a value that may hold
a secret is passed as `dg.EnvVar`, so Dagster's UI and run storage show the variable's name, never
its value. A wrong value is refused with the variable's name, never with the value (it may be a
token or a password typed into the wrong field).

| variable | setting | default |
|---|---|---|
| `AFAS_PIPELINE_HOME` | `home`: where `afas-pipeline connect` keeps environments | `~/.config/afas-pipeline` |
| `AFAS_DATA_DIR` | `data_dir`: the data folder (embedded lake, documents, call-slot locks) | `data` |
| `AFAS_WAREHOUSE`, `AFAS_WAREHOUSE_DATA`, `AFAS_WAREHOUSE_BUSY_TIMEOUT_S`, `AFAS_WAREHOUSE_RETENTION_MONTHS` | which DuckLake (`warehouse.settings`) | the embedded lake |
| `AFAS_MAX_IN_FLIGHT` | AFAS calls in flight per environment across all runs (1..8) | 5 |
| `AFAS_CALL_SLOTS` | where that cap is kept: `files`, `postgres:CONNINFO`, `postgresql://…` | the lake's PostgreSQL, else `files` |
| `AFAS_SLOT_WAIT_S` | the longest a call waits for a slot | 600 |
| `AFAS_FIRST_YEAR` | the first fiscal year with period partitions | 2020 |
| `AFAS_EXECUTOR` | where steps run: `multiprocess` or `celery` | `multiprocess` |
| `AFAS_NEW_ADMINISTRATION_HISTORY` | `auto` loads a new administration's history at once, `manual` leaves it to a backfill | `auto` |

`AFAS_ENVIRONMENT_CODE`, `AFAS_TOKEN` (and the OAuth variables) define one environment without
files: the environment store (`afas.environments`) reads them from the same mapping.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from afas.errors import ConfigurationError
from catalog.redaction import looks_like_secret
from afas.limits import DEFAULT_SLOT_WAIT_S
from afas.settings import DEFAULT_MAX_IN_FLIGHT, HARD_MAX_IN_FLIGHT
from warehouse import LakeSettings

HOME = "AFAS_PIPELINE_HOME"
DATA_DIR = "AFAS_DATA_DIR"
WAREHOUSE = "AFAS_WAREHOUSE"
WAREHOUSE_DATA = "AFAS_WAREHOUSE_DATA"
WAREHOUSE_BUSY_TIMEOUT_S = "AFAS_WAREHOUSE_BUSY_TIMEOUT_S"
WAREHOUSE_RETENTION_MONTHS = "AFAS_WAREHOUSE_RETENTION_MONTHS"
MAX_IN_FLIGHT = "AFAS_MAX_IN_FLIGHT"
CALL_SLOTS = "AFAS_CALL_SLOTS"
SLOT_WAIT_S = "AFAS_SLOT_WAIT_S"
FIRST_YEAR = "AFAS_FIRST_YEAR"
EXECUTOR = "AFAS_EXECUTOR"
NEW_ADMINISTRATION_HISTORY = "AFAS_NEW_ADMINISTRATION_HISTORY"

EXECUTORS = ("multiprocess", "celery")
HISTORY_MODES = ("auto", "manual")
DEFAULT_FIRST_YEAR = 2020


class SettingsError(ConfigurationError):
    """A setting has a value the pipeline cannot use (the message names the variable, not the value)."""


@dataclass(frozen=True)
class Settings:
    """Every setting of the pipeline (see the module docstring for the variables).

    `environ` is the mapping they were read from: the environment store reads the one environment
    defined by variables from it. It is left out of `repr`, which never shows a secret.
    """

    home: Path | None = None
    data_dir: Path = Path("data")
    warehouse: str | None = None
    warehouse_data: str | None = None
    warehouse_busy_timeout_s: str | None = None
    warehouse_retention_months: str | None = None
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    call_slots: str | None = None
    slot_wait_s: float = DEFAULT_SLOT_WAIT_S
    first_year: int = DEFAULT_FIRST_YEAR
    executor: str = "multiprocess"
    new_administration_history: str = "auto"
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:  # AFAS_WAREHOUSE and AFAS_CALL_SLOTS may carry a password
        return (f"Settings(home={self.home}, data_dir={self.data_dir}, warehouse={'set' if self.warehouse else None}, "
                f"max_in_flight={self.max_in_flight}, call_slots={'set' if self.call_slots else None}, "
                f"first_year={self.first_year}, executor={self.executor!r})")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the variables name (`os.environ` when no mapping is given)."""
        env = dict(os.environ if environ is None else environ)

        def text(name: str) -> str | None:
            value = (env.get(name) or "").strip()
            return value or None

        max_in_flight = _number(env, MAX_IN_FLIGHT, int, DEFAULT_MAX_IN_FLIGHT)
        if not 1 <= max_in_flight <= HARD_MAX_IN_FLIGHT:
            raise SettingsError(f"{MAX_IN_FLIGHT} must be 1..{HARD_MAX_IN_FLIGHT} (AFAS's hard maximum of parallel calls)")
        slot_wait_s = _number(env, SLOT_WAIT_S, float, DEFAULT_SLOT_WAIT_S)
        if slot_wait_s <= 0:
            raise SettingsError(f"{SLOT_WAIT_S} must be a positive number of seconds")
        first_year = _number(env, FIRST_YEAR, int, DEFAULT_FIRST_YEAR)
        if not 1990 <= first_year <= 2100:
            raise SettingsError(f"{FIRST_YEAR} must be a fiscal year such as 2020")
        for name in (HOME, DATA_DIR):  # a secret here would name folders and show in every path we print
            if looks_like_secret(text(name) or ""):
                raise SettingsError(f"{name} looks like a token or password, not a folder (the value is not "
                                    "repeated here): give a folder, e.g. data or /srv/afas/data")
        settings = cls(
            home=Path(text(HOME)).expanduser() if text(HOME) else None,
            data_dir=Path(text(DATA_DIR) or "data"),
            warehouse=text(WAREHOUSE),
            warehouse_data=text(WAREHOUSE_DATA),
            warehouse_busy_timeout_s=text(WAREHOUSE_BUSY_TIMEOUT_S),
            warehouse_retention_months=text(WAREHOUSE_RETENTION_MONTHS),
            max_in_flight=max_in_flight,
            call_slots=text(CALL_SLOTS),
            slot_wait_s=slot_wait_s,
            first_year=first_year,
            executor=_choice(env, EXECUTOR, EXECUTORS),
            new_administration_history=_choice(env, NEW_ADMINISTRATION_HISTORY, HISTORY_MODES),
            environ=env,
        )
        settings.call_slots_database()  # refuse a wrong value now, not in the middle of a run
        return settings

    def lake(self) -> LakeSettings:
        """The DuckLake these settings name."""
        return LakeSettings.choose(self.data_dir, catalog=self.warehouse, data_path=self.warehouse_data,
                                   busy_timeout_s=self.warehouse_busy_timeout_s,
                                   retention_months=self.warehouse_retention_months)

    def call_slots_database(self) -> str | None:
        """The PostgreSQL conninfo or URL that keeps AFAS's cap across machines, or None for lock files."""
        return call_slots_database(self.call_slots, self.lake)

    @property
    def slots_dir(self) -> Path:
        """This machine's lock files for the cap, when no PostgreSQL keeps it."""
        return self.data_dir / "afas-slots"


def call_slots_database(choice: str | None, lake) -> str | None:
    """`AFAS_CALL_SLOTS` read: `files` → None; `postgres:CONNINFO` / a URL → it; unset → the lake's
    catalog database when the lake is on PostgreSQL (`lake()` gives the LakeSettings), else None."""
    choice = (choice or "").strip()
    if choice == "files":
        return None
    if choice.startswith(("postgresql://", "postgres://")):
        return choice
    if choice.startswith("postgres:"):
        return choice.removeprefix("postgres:")
    if choice:
        raise SettingsError(
            f"{CALL_SLOTS} must be 'files', 'postgres:CONNINFO' or 'postgresql://…' (the value is not "
            "repeated here in case it holds a secret)"
        )
    settings = lake()
    return settings.catalog.removeprefix("postgres:") if settings.kind == "postgres" else None


def _number(env: Mapping[str, str], name: str, kind: type, default):
    value = (env.get(name) or "").strip()
    if not value:
        return default
    try:
        return kind(value)
    except ValueError:
        raise SettingsError(f"{name} must be {'a whole number' if kind is int else 'a number'} "
                            "(the value is not repeated here in case it holds a secret)") from None


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    value = (env.get(name) or allowed[0]).strip().lower()
    if value not in allowed:
        raise SettingsError(f"{name} must be {' or '.join(repr(a) for a in allowed)} (default {allowed[0]!r})")
    return value
