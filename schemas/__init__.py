"""Warehouse columns and data contracts for AFAS GetConnector frames.

Flow for one slice: `validate(connector, client_frame)` renames AFAS field ids to warehouse columns
(`to_warehouse`) and checks the hard rules of the connector's Pandera schema (`schema_for`);
`soft_checks(connector, validation.frame)` then evaluates the warnings. Nothing here fetches or
writes: the caller decides what a failure means.
"""

from schemas.columns import MissingFieldError, Renamed, snake_case, to_warehouse, warehouse_dtypes
from schemas.models import checks_per_part, hard_rules, key_columns, schema_for, soft_rules
from schemas.rules import Rule
from schemas.validate import SoftCheckResult, Validation, combine_soft_checks, soft_checks, soft_rule_specs, validate

__all__ = [
    "MissingFieldError",
    "Renamed",
    "Rule",
    "SoftCheckResult",
    "Validation",
    "checks_per_part",
    "combine_soft_checks",
    "hard_rules",
    "key_columns",
    "schema_for",
    "snake_case",
    "soft_checks",
    "soft_rule_specs",
    "soft_rules",
    "to_warehouse",
    "validate",
    "warehouse_dtypes",
]
