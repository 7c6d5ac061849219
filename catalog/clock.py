"""The time zone AFAS's datetimes are in.

AFAS Online prints datetimes with a `Z`, but the clock behind them is Amsterdam's (CET/CEST): every
datetime the pipeline reads, stores or compares is put in this zone, and AFAS's periods turn by it.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

#: The IANA name, for what takes a name (Polars dtypes, Dagster schedules, DuckDB's `AT TIME ZONE`).
TIME_ZONE = "Europe/Amsterdam"

AMSTERDAM = ZoneInfo(TIME_ZONE)
