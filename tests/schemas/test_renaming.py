"""AFAS field ids → warehouse columns: extras kept, optional fields filled, required ones enforced."""

from __future__ import annotations

import polars as pl
import pytest

from catalog import CONNECTORS, PERIOD_VALUES, TRANSACTIONS
from catalog.clock import TIME_ZONE
from schemas import MissingFieldError, snake_case, to_warehouse, validate, warehouse_dtypes
from tests.schemas.frames import valid


@pytest.mark.parametrize(
    ("field_id", "column"),
    [
        ("Btw-nummer", "btw_nummer"),
        ("AmtVatCurr", "amt_vat_curr"),
        ("Collect_On", "collect_on"),
        ("VATCode", "vat_code"),
        ("DimAx1", "dim_ax1"),
        ("Omschrijving", "omschrijving"),
        ("2ndName", "f_2nd_name"),
        ("--", "field"),
    ],
)
def test_snake_case(field_id, column):
    assert snake_case(field_id) == column


@pytest.mark.parametrize("conn", CONNECTORS, ids=lambda c: c.id)
def test_every_catalog_column_in_catalog_order(conn):
    renamed = to_warehouse(conn, valid(conn))
    assert renamed.frame.schema == pl.Schema(warehouse_dtypes(conn))
    assert renamed.extra == {} and renamed.missing_required == [] and renamed.missing_optional == []


def test_extra_field_is_kept_under_a_snake_case_name_and_reported():
    frame = valid(TRANSACTIONS).with_columns(
        pl.lit("NL001234567B01").alias("Btw-nummer"),
        pl.col("VatAmt").alias("AmtVatCurr"),
    )
    renamed = to_warehouse(TRANSACTIONS, frame)
    assert renamed.extra == {"Btw-nummer": "btw_nummer", "AmtVatCurr": "amt_vat_curr"}
    assert renamed.frame.columns[-2:] == ["btw_nummer", "amt_vat_curr"]
    assert renamed.frame["btw_nummer"].to_list() == ["NL001234567B01"] * frame.height
    assert renamed.frame.schema["amt_vat_curr"] == pl.Decimal(38, 2)

    result = validate(TRANSACTIONS, frame)
    assert result.ok, result.summary
    assert result.extra == renamed.extra
    assert "btw_nummer" in result.frame.columns
    assert "Btw-nummer as btw_nummer" in result.summary


def test_extra_field_never_takes_a_catalog_column_name():
    frame = valid(TRANSACTIONS).with_columns(pl.lit(1).alias("Entry-No"), pl.lit(2).alias("Entry_No"))
    renamed = to_warehouse(TRANSACTIONS, frame)
    assert renamed.extra == {"Entry-No": "entry_no_afas", "Entry_No": "entry_no_afas2"}
    assert renamed.frame["entry_no"].to_list() == valid(TRANSACTIONS)["EntryNo"].to_list()


def test_missing_optional_fields_become_typed_null_columns():
    renamed = to_warehouse(TRANSACTIONS, valid(TRANSACTIONS, drop=["Created", "VatAmt"]))
    assert renamed.missing_optional == ["VatAmt", "Created"]  # catalog order
    frame = renamed.frame
    assert frame.schema["vat_amount"] == pl.Decimal(38, 2)
    assert frame.schema["created_at"] == pl.Datetime("us", TIME_ZONE)
    assert frame["vat_amount"].null_count() == frame["created_at"].null_count() == frame.height

    result = validate(TRANSACTIONS, valid(TRANSACTIONS, drop=["Created", "VatAmt"]))
    assert result.ok, result.summary
    assert result.missing_optional == ["VatAmt", "Created"]


def test_missing_optional_key_field_is_null_not_an_error():
    # Allocation axes are part of the period values key but optional: absent means "no allocation".
    dims = [f"DimAx{i}" for i in range(1, 6)]
    result = validate(PERIOD_VALUES, valid(PERIOD_VALUES, drop=dims[1:]))
    assert result.ok, result.summary
    assert result.missing_optional == dims[1:]


def test_missing_required_field_raises_naming_connector_and_fields():
    with pytest.raises(MissingFieldError) as info:
        to_warehouse(TRANSACTIONS, valid(TRANSACTIONS, drop=["AmtDebit", "EntryDate"]))
    err = info.value
    assert err.connector_id == "Visionplanner_transactions"
    assert err.field_ids == ["AmtDebit", "EntryDate"]
    assert "Visionplanner_transactions" in str(err) and "AmtDebit, EntryDate" in str(err)
    # validate does not turn this into a report: there is no frame to check.
    with pytest.raises(MissingFieldError):
        validate("Visionplanner_transactions", valid(TRANSACTIONS, drop=["AmtDebit"]))


def test_field_ids_are_case_sensitive():
    frame = valid(TRANSACTIONS).rename({"UnitId": "unitid"})
    with pytest.raises(MissingFieldError, match="UnitId"):
        to_warehouse(TRANSACTIONS, frame)


def test_money_is_widened_only_when_exact():
    frame = valid(TRANSACTIONS).with_columns(
        pl.col("AmtDebit").cast(pl.Decimal(18, 1)), pl.col("AmtCredit").cast(pl.Decimal(38, 4))
    )
    renamed = to_warehouse(TRANSACTIONS, frame)
    assert renamed.frame.schema["amount_debit"] == pl.Decimal(38, 2)
    # More decimals than the catalog's would be rounded: left alone, so validation fails on it.
    assert renamed.frame.schema["amount_credit"] == pl.Decimal(38, 4)
    result = validate(TRANSACTIONS, frame)
    assert not result.ok
    assert result.error_counts == {"dtype:amount_credit": 1}
    assert "amount_credit is Decimal(precision=38, scale=4), expected Decimal(precision=38, scale=2)" in result.summary


def test_lazy_frame_is_collected():
    renamed = to_warehouse(TRANSACTIONS.id, valid(TRANSACTIONS).lazy())
    assert isinstance(renamed.frame, pl.DataFrame)
    assert renamed.frame.height == valid(TRANSACTIONS).height
