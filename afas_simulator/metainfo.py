"""`GET /metainfo` and `GET /metainfo/get/{id}`, derived from the environment and the catalog.

The client reads these at run time to check the connectors' fields, so they come from the same
catalog the client compiles against: a field added to the catalog shows up here by itself. Fields
that take their value from a code table also list the codes (`values`), from the ledger's own
tables, so every code a row holds has its description.
"""

from __future__ import annotations

import datetime as dt

from catalog import CONNECTORS, SUBJECT_CONNECTOR, Connector, Kind
from catalog import connector as catalog_connector
from afas_simulator.config import EnvironmentSpec
from afas_simulator.definitions import FieldChanges
from afas_simulator.ledger.chart import CURRENCY, CURRENCY_NAME, JOURNAL_NAMES, JOURNALS, VAT_CODES, VAT_NAMES
from afas_simulator.ledger.documents import DOSSIER_TYPES

# [G] AFAS's `length` and `controlType` per kind: AFAS's example shows controlType 1 for free text
# and 5 for a code field; the rest is our pick. Clients must not depend on them.
_LENGTH = {
    Kind.INT: 9,
    Kind.TEXT: 255,
    Kind.MONEY: 18,
    Kind.DATE: 10,
    Kind.DATETIME: 19,
    Kind.BOOL: 1,
    Kind.BLOB: 0,
}
_CONTROL_TYPE = {
    Kind.INT: 2,
    Kind.TEXT: 1,
    Kind.MONEY: 3,
    Kind.DATE: 4,
    Kind.DATETIME: 8,
    Kind.BOOL: 6,
    Kind.BLOB: 12,
}

#: Code-table fields and their codes with descriptions, as `/metainfo/get/{id}` lists them in
#: `values` [G shape `[{"id","description"}]`; codes as text, like AFAS's other ids]. Keyed by field
#: id: the field means the same table in every connector that has it. `AccountType` is left out: its
#: values are their own descriptions (`Balans`, `Winst & verlies`).
CODE_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "JournalId": tuple(zip(JOURNALS, JOURNAL_NAMES, strict=True)),
    "VatCode": tuple(zip(VAT_CODES, VAT_NAMES, strict=True)),
    "CurrencyId": ((CURRENCY, CURRENCY_NAME),),
    "TypeId": tuple((str(code), name) for code, name in DOSSIER_TYPES.items()),
}


def afas_datetime(value: dt.datetime | None) -> str | None:
    """A datetime the way AFAS writes it: Amsterdam local time with a false `Z` [C]."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def ticked_get_connectors(env: EnvironmentSpec) -> list[Connector]:
    """The GetConnectors ticked in the App Connector that exist, in catalog order.

    `AppConnectorSubject` is ticked on another tab and is not a GetConnector, so it is left out.
    """
    found: list[Connector] = []
    for connector_id in env.ticked:
        if connector_id == SUBJECT_CONNECTOR:
            continue
        try:
            found.append(catalog_connector(connector_id))
        except KeyError:
            continue  # ticked but unknown here: AFAS would not list a connector that doesn't exist
    order = {c.id: i for i, c in enumerate(CONNECTORS)}
    return sorted(found, key=lambda c: order[c.id])


def environment_metainfo(env: EnvironmentSpec, token_expiry: dt.datetime | None) -> dict:
    """The body of `GET /metainfo`: only what this App Connector may use [C].

    Args:
        env: the environment.
        token_expiry: when the caller's credential expires, reported as `info.tokenExpiry`.
    """
    return {
        "updateConnectors": [{"id": c, "description": c} for c in sorted(env.update_connectors)],
        "getConnectors": [{"id": c.id, "description": c.description} for c in ticked_get_connectors(env)],
        "info": {
            "envid": env.code,
            "appName": env.app_name,
            "group": env.group,
            "tokenExpiry": afas_datetime(token_expiry),
        },
    }


def connector_metainfo(connector: Connector, changes: FieldChanges | None = None) -> dict:
    """The body of `GET /metainfo/get/{id}`: name, description and fields [C shape].

    `fieldId` follows AFAS's example (`U001`, `U002`, … in field order) [S].
    """
    removed = changes.removed if changes else frozenset()
    fields = [
        {
            "id": f.id,
            "dataType": f.kind.afas_data_type,
            "label": f.meaning,
            "length": _LENGTH[f.kind],
            "controlType": _CONTROL_TYPE[f.kind],
            "decimals": f.decimals if f.kind is Kind.MONEY else 0,
        }
        for f in connector.fields
        if f.id not in removed
    ]
    for extra in changes.added if changes else ():
        fields.append(
            {"id": extra.id, "dataType": extra.data_type, "label": extra.label, "length": 255,
             "controlType": 1, "decimals": 2 if extra.data_type == "decimal" else 0}
        )
    return {
        "name": connector.id,
        "description": connector.description,
        "fields": [
            {
                **{"id": f["id"], "fieldId": f"U{i:03d}"},
                **{k: v for k, v in f.items() if k != "id"},
                "decimalsFieldId": "",
                **_code_table(f["id"]),
            }
            for i, f in enumerate(fields, start=1)
        ],
    }


def _code_table(field_id: str) -> dict:
    """`{"values": [...]}` for a code-table field, nothing for any other."""
    codes = CODE_TABLES.get(field_id)
    if codes is None:
        return {}
    return {"values": [{"id": code, "description": description} for code, description in codes]}
