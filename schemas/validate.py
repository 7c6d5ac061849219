"""Validate one slice of a connector: the contract (hard) and the warnings (soft).

`validate` never raises on a contract violation: it returns what failed, as data (Pandera's failure
cases, counts per rule) and as one paragraph a person reads, and the caller decides (the Dagster
asset fails the partition before writing). `soft_checks` runs the warnings on the validated frame;
`soft_rule_specs` lists them up front so the caller can declare one asset check per rule.

Example:
    >>> result = validate("Visionplanner_transactions", frame)  # doctest: +SKIP
    >>> if not result.ok:  # doctest: +SKIP
    ...     raise Failure(result.summary, metadata={"failures": result.error_counts})
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import polars.selectors as cs
from pandera.api.checks import Check
from pandera.constants import CHECK_OUTPUT_KEY
from pandera.errors import SchemaError, SchemaErrorReason, SchemaErrors

from catalog import Connector
from catalog import resolve
from schemas.columns import to_warehouse
from schemas.models import FAILURE_CASES_PER_CHECK, hard_rules, schema_for, soft_rules
from schemas.rules import Rule

#: Failure cases kept in all, so that they fit in run metadata (per check: `FAILURE_CASES_PER_CHECK`).
MAX_FAILURE_CASES = 200
#: Failing rows shown per soft rule, and failing items named per rule in a summary.
SAMPLE_ROWS = 5
SUMMARY_ITEMS = 3


@dataclass(frozen=True)
class Validation:
    """The outcome of validating one slice.

    Attributes:
        connector_id: the GetConnector.
        frame: the validated warehouse frame (Pandera's return value); `None` when `ok` is false,
            so that a frame that broke the contract cannot be written by accident.
        rows: rows in the slice.
        extra: AFAS field id → column for fields the catalog does not know (kept in `frame`).
        missing_optional: optional catalog fields that were absent (null columns in `frame`).
        ok: every hard rule passed.
        failure_cases: Pandera's failure cases (`schema_context, column, check, check_number,
            failure_case, index`), at most `FAILURE_CASES_PER_CHECK` per check and
            `MAX_FAILURE_CASES` in all; for frame-level rules `failure_case` is the JSON of the
            rule's columns of the failing row.
        error_counts: failing rows per check: the rule name for contract rules, `check:column`
            for Pandera's own checks (e.g. `not_nullable:entry_no`, `dtype:amount_debit`).
        summary: one paragraph saying which rule failed how often, naming examples.
    """

    connector_id: str
    frame: pl.DataFrame | None
    rows: int
    extra: dict[str, str]
    missing_optional: list[str]
    ok: bool
    failure_cases: pl.DataFrame
    error_counts: dict[str, int]
    summary: str


@dataclass(frozen=True)
class SoftCheckResult:
    """One soft rule on one slice.

    Attributes:
        name: the rule name (a valid Dagster asset check name).
        description: one line: what holds when the rule passes.
        passed: no row fails the rule.
        failures: failing rows.
        sample: up to `SAMPLE_ROWS` failing rows (the rule's columns), with decimals, dates and
            datetimes as strings so that the sample is JSON metadata as it stands.
    """

    name: str
    description: str
    passed: bool
    failures: int
    sample: list[dict]


_EMPTY_FAILURES = pl.DataFrame(
    schema={
        "failure_case": pl.String, "schema_context": pl.String, "column": pl.String,
        "check": pl.String, "check_number": pl.Int32, "index": pl.Int32,
    }
)


def validate(connector: Connector | str, frame: pl.DataFrame | pl.LazyFrame) -> Validation:
    """Rename a client frame to warehouse columns and check the connector's contract.

    Args:
        connector: the catalog connector, or its GetConnector id.
        frame: one slice as the client returns it (AFAS field ids, typed by `afas.frames`).

    Returns:
        The validation; contract violations are reported in it, not raised.

    Raises:
        MissingFieldError: a required field is absent (the connector itself changed, so there is
            no frame to check).
    """
    conn = resolve(connector)
    renamed = to_warehouse(conn, frame)
    data = renamed.frame
    try:
        validated = schema_for(conn).validate(data, lazy=True)
    except SchemaErrors as exc:
        rules = {rule.name: rule for rule in hard_rules(conn)}
        counts: dict[str, int] = {}
        for err in exc.schema_errors:
            label = _label(err, rules)
            counts[label] = counts.get(label, 0) + _count(err)
        return Validation(
            connector_id=conn.id,
            frame=None,
            rows=data.height,
            extra=renamed.extra,
            missing_optional=renamed.missing_optional,
            ok=False,
            failure_cases=_failure_cases(exc.failure_cases, data, rules),
            error_counts=counts,
            summary=_summary(conn, data, counts, rules, exc.schema_errors),
        )
    return Validation(
        connector_id=conn.id,
        frame=validated,
        rows=validated.height,
        extra=renamed.extra,
        missing_optional=renamed.missing_optional,
        ok=True,
        failure_cases=_EMPTY_FAILURES,
        error_counts={},
        summary=_passed(conn, validated.height, renamed.extra),
    )


def soft_rule_specs(connector: Connector | str) -> list[tuple[str, str]]:
    """(name, description) of every soft rule, to declare asset checks before any data exists."""
    return [(rule.name, rule.description) for rule in soft_rules(resolve(connector))]


def soft_checks(connector: Connector | str, frame: pl.DataFrame) -> list[SoftCheckResult]:
    """Run the connector's soft rules on a validated warehouse frame (`Validation.frame`).

    All rules are counted in one pass over the frame; samples are taken only for failing rules.
    """
    rules = soft_rules(resolve(connector))
    if not rules:
        return []
    counts = frame.select(rule.failures().sum().alias(rule.name) for rule in rules).row(0, named=True)
    results = []
    for rule in rules:
        failures = int(counts[rule.name] or 0)
        sample = []
        if failures:
            sample = _json_safe(frame.filter(rule.failures()).select(rule.columns).head(SAMPLE_ROWS))
        results.append(SoftCheckResult(rule.name, rule.description, failures == 0, failures, sample))
    return results


def combine_soft_checks(parts: list[list[SoftCheckResult]]) -> list[SoftCheckResult]:
    """The soft checks of a slice from those of its parts (`checks_per_part` says when that is
    exact): failures add up, samples are the first parts' up to `SAMPLE_ROWS`."""
    if not parts:
        return []
    combined = []
    for same_rule in zip(*parts):
        first = same_rule[0]
        failures = sum(r.failures for r in same_rule)
        sample = [row for r in same_rule for row in r.sample][:SAMPLE_ROWS]
        combined.append(SoftCheckResult(first.name, first.description, failures == 0, failures, sample))
    return combined


def _json_safe(frame: pl.DataFrame) -> list[dict]:
    # Decimals as strings keep every digit; datetimes as ISO 8601 keep the Amsterdam offset.
    return frame.with_columns(
        cs.decimal().cast(pl.String),
        cs.datetime().dt.to_string("%Y-%m-%dT%H:%M:%S%.f%:z"),
        (cs.temporal() - cs.datetime()).cast(pl.String),
    ).to_dicts()


def _check_id(err: SchemaError) -> str:
    """The check's name: a rule name, or Pandera's own (`not_nullable`, `dtype('…')` → `dtype`)."""
    check = err.check
    if isinstance(check, Check):
        name = check.name or str(check)
    else:
        name = str(check)
    return name.split("(", 1)[0]


def _label(err: SchemaError, rules: dict[str, Rule]) -> str:
    """A rule's name, or `check:column` for Pandera's own checks (`not_nullable:entry_no`)."""
    name = _check_id(err)
    if name in rules or err.column_name is None:
        return name
    return f"{name}:{err.column_name}"


def _count(err: SchemaError) -> int:
    """Failing rows of one check, from its full output (its failure cases may be truncated)."""
    output = err.check_output
    if isinstance(output, pl.DataFrame) and CHECK_OUTPUT_KEY in output.columns:
        return int(output.get_column(CHECK_OUTPUT_KEY).not_().sum())
    if isinstance(err.failure_cases, pl.DataFrame):
        return max(err.failure_cases.height, 1)
    return 1  # a column-level failure (wrong type, check that raised)


def _failure_cases(cases: pl.DataFrame, data: pl.DataFrame, rules: dict[str, Rule]) -> pl.DataFrame:
    """Pandera's failure cases, capped, with frame-level rows narrowed to the rule's columns.

    Pandera encodes the whole failing row for a frame-level check; a wide frame then drowns the
    key in the metadata. The row index it reports lets us re-encode just the rule's columns.
    """
    cases = cases.filter(pl.int_range(pl.len()).over("check", "column") < FAILURE_CASES_PER_CHECK)
    cases = cases.head(MAX_FAILURE_CASES)
    frame_level = cases.filter(pl.col("schema_context") == "DataFrameSchema", pl.col("index").is_not_null())
    narrowed = [
        data.select(pl.struct(rules[name].columns).struct.json_encode().gather(part["index"]).alias("narrowed"))
        .with_columns(schema_context=pl.lit("DataFrameSchema"), check=pl.lit(name), index=part["index"])
        for (name,), part in frame_level.partition_by("check", as_dict=True).items()
        if name in rules
    ]
    if not narrowed:
        return cases
    return (
        cases.join(pl.concat(narrowed), on=["schema_context", "check", "index"], how="left", maintain_order="left")
        .with_columns(failure_case=pl.coalesce("narrowed", "failure_case"))
        .drop("narrowed")
    )


def _passed(conn: Connector, rows: int, extra: dict[str, str]) -> str:
    rules = ", ".join(rule.name for rule in hard_rules(conn))
    summary = f"{conn.id}: {rows:,} rows meet the contract ({rules})."
    if extra:
        summary += " Fields not in the catalog, kept: " + ", ".join(f"{k} as {v}" for k, v in extra.items()) + "."
    return summary


def _summary(
    conn: Connector, data: pl.DataFrame, counts: dict[str, int], rules: dict[str, Rule], errors: list[SchemaError]
) -> str:
    sentences = [f"{conn.id}: {data.height:,} rows break {len(counts)} contract check{'s' * (len(counts) != 1)}."]
    for err in errors:
        label = _label(err, rules)
        rule = rules.get(label)
        head = label + (f" ({rule.description})" if rule else "")
        if err.reason_code is SchemaErrorReason.CHECK_ERROR:
            reason = str(err.failure_cases).splitlines()[0][:200]
            sentences.append(f"{head} could not be evaluated: {reason}.")
            continue
        if isinstance(err.check_output, pl.DataFrame):  # a per-row check: say how many rows failed
            n = counts[label]
            head += f" fails on {n:,} row{'s' * (n != 1)}"
        else:
            head += " fails"
        details = rule.describe_failures(data, SUMMARY_ITEMS) if rule else _pandera_details(err)
        sentences.append(head + (": " + "; ".join(details) if details else "") + ".")
    return " ".join(sentences)


def _pandera_details(err: SchemaError) -> list[str]:
    name = _check_id(err)
    if name == "not_nullable":
        return [f"{err.column_name} is empty but must be filled in"]
    if name == "dtype":
        return [f"{err.column_name} is {err.failure_cases}, expected {err.schema.dtype}"]
    if isinstance(err.failure_cases, pl.DataFrame) and err.failure_cases.width:
        values = err.failure_cases.to_series(0).head(SUMMARY_ITEMS).to_list()
        return [f"e.g. {', '.join(map(str, values))}"]
    return []
