"""Whether the lake holds exactly what the simulator serves: the proof behind `make demo` and the
end-to-end tests, which load through AFAS-like latency and transient faults.

The simulator's rows are the ground truth. Per table, one environment's rows in the lake (the latest
snapshot for open items) are set against the simulator's rows of that connector, every catalog
column, as multisets: a row lost to a retried page or doubled by one shows as missing or extra.
The truth is put in the lake's terms first: AFAS shows whole seconds (the simulator keeps sub-second
times, as AFAS stores them), and the lake's instants are read back as Amsterdam local time.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import polars as pl

from catalog import CONNECTORS, PERIOD, UNIT_ID, YEAR, Connector, Kind, Slicing
from catalog.clock import TIME_ZONE
from warehouse.slices import ENVIRONMENT, SNAPSHOT_DATE

#: The user's nine connectors, which the assets load (the optional change feed only steers the sensor).
LOADED: tuple[Connector, ...] = tuple(c for c in CONNECTORS if not c.optional)


@dataclass(frozen=True)
class TableComparison:
    """One table of one environment against the simulator.

    Attributes:
        table: the lake table.
        expected: rows the simulator serves (within the compared slices).
        loaded: rows the lake holds there.
        missing: simulator rows the lake lacks (counted with multiplicity).
        extra: lake rows the simulator does not serve (counted with multiplicity).
    """

    table: str
    expected: int
    loaded: int
    missing: int
    extra: int

    @property
    def exact(self) -> bool:
        return self.missing == 0 and self.extra == 0

    def __str__(self) -> str:
        if self.exact:
            return f"{self.table}: {self.loaded} rows, exactly the simulator's"
        return f"{self.table}: {self.loaded} rows loaded, {self.expected} served; {self.missing} missing, {self.extra} extra"


def compare_with_simulator(
    warehouse,
    data,
    environment: str,
    *,
    connectors: Sequence[Connector] = LOADED,
    units: Collection[int] | None = None,
    periods: Collection[tuple[int, int]] | None = None,
) -> list[TableComparison]:
    """Each connector's table in the lake against the simulator's rows.

    Args:
        warehouse: the lake (`warehouse.Warehouse`).
        data: the simulator environment's data (`sim.environment(member).data`).
        environment: the environment's key in the lake (`o12345`).
        connectors: which tables to compare (those with a table in the lake).
        units: compare only these administrations (all when None).
        periods: compare only these (fiscal year, period)s of period-sliced connectors (all when None).
    """
    results = []
    for connector in connectors:
        try:
            truth = data.frame(connector.id)
        except KeyError:
            continue  # the simulator serves no rows for it (an optional connector)
        truth = _restricted(truth, connector, units, periods, field_ids=True)
        lake = _restricted(_lake_rows(warehouse, connector, environment), connector, units, periods, field_ids=False)
        expected = _as_loaded(truth, connector)
        results.append(_compare(connector.table, expected, lake.select(expected.columns)))
    return results


def _lake_rows(warehouse, connector: Connector, environment: str) -> pl.DataFrame:
    columns = ", ".join(f'"{f.column}"' for f in connector.fields)
    latest = (
        f" AND {SNAPSHOT_DATE} = (SELECT max({SNAPSHOT_DATE}) FROM {connector.table} WHERE {ENVIRONMENT} = $env)"
        if connector.snapshots else ""
    )
    frame = warehouse.query(f"SELECT {columns} FROM {connector.table} WHERE {ENVIRONMENT} = $env{latest}",
                            {"env": environment})
    for f in connector.fields:
        if f.kind is Kind.DATETIME and frame.schema[f.column] != pl.Null:
            frame = frame.with_columns(
                pl.col(f.column).dt.convert_time_zone(TIME_ZONE).dt.replace_time_zone(None).dt.cast_time_unit("us"))
    return frame


def _as_loaded(truth: pl.DataFrame, connector: Connector) -> pl.DataFrame:
    """The simulator's rows as the lake should hold them: catalog column names, whole seconds."""
    out = []
    for f in connector.fields:
        column = pl.col(f.id)
        if f.kind is Kind.DATETIME:
            column = column.dt.truncate("1s")
        out.append(column.alias(f.column))
    return truth.select(out)


def _restricted(frame: pl.DataFrame, connector: Connector, units, periods, *, field_ids: bool) -> pl.DataFrame:
    def name(field_id: str) -> str:
        return field_id if field_ids else connector.field(field_id).column

    if units is not None and connector.slicing is not Slicing.NONE:
        frame = frame.filter(pl.col(name(UNIT_ID)).is_in(list(units)))
    if periods is not None and connector.slicing is Slicing.ADMINISTRATION_PERIOD:
        wanted = pl.DataFrame({"y": [y for y, _ in periods], "p": [p for _, p in periods]},
                              schema={"y": pl.Int64, "p": pl.Int64})
        frame = frame.join(wanted, left_on=[name(YEAR), name(PERIOD)], right_on=["y", "p"], how="semi")
    return frame


def _compare(table: str, expected: pl.DataFrame, loaded: pl.DataFrame) -> TableComparison:
    # Compare as multisets: count each distinct row on both sides, in the same column types.
    loaded = loaded.cast(dict(expected.schema), strict=False) if loaded.height else expected.clear()
    columns = expected.columns
    want = expected.group_by(columns).agg(pl.len().cast(pl.Int64).alias("want"))
    have = loaded.group_by(columns).agg(pl.len().cast(pl.Int64).alias("have"))
    both = want.join(have, on=columns, how="full", nulls_equal=True, coalesce=True)
    both = both.with_columns(pl.col("want", "have").fill_null(0))
    missing = int((both["want"] - both["have"]).clip(lower_bound=0).sum())
    extra = int((both["have"] - both["want"]).clip(lower_bound=0).sum())
    return TableComparison(table, expected.height, loaded.height, missing, extra)
