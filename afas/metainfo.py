"""What AFAS says about itself: the connectors a token may use, and a connector's fields.

`GET /metainfo` lists only the connectors the App Connector allows; `GET /metainfo/get/{id}`
describes one GetConnector. The catalog is our expectation; `compare` tells how AFAS differs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from catalog import Connector, Kind
from afas.errors import ResponseFormatError


@dataclass(frozen=True)
class FieldInfo:
    """One field as AFAS describes it.

    Attributes:
        id: the field id used in rows, filters and sorting.
        data_type: string, int, decimal, date, boolean or blob.
        label: AFAS's caption.
        decimals: digits after the point for decimals (None when AFAS does not say).
        values: for a field backed by a code table, its (code, description) pairs in AFAS's order;
            empty when AFAS lists none (most fields) or lists them in a shape we cannot read.
    """

    id: str
    data_type: str
    label: str = ""
    length: int | None = None
    decimals: int | None = None
    control_type: int | None = None
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ConnectorInfo:
    """A GetConnector as `/metainfo/get/{id}` describes it."""

    id: str
    description: str
    fields: tuple[FieldInfo, ...]

    def field(self, field_id: str) -> FieldInfo | None:
        for f in self.fields:
            if f.id == field_id:
                return f
        return None


@dataclass(frozen=True)
class FieldComparison:
    """How a connector's live fields differ from the catalog.

    Attributes:
        missing_required: catalog fields the load cannot do without.
        missing_optional: catalog fields that will load as empty.
        extra: live fields the catalog does not know (reported, kept where the table allows).
        type_changes: (field id, catalog type, AFAS type) where the data types disagree.
    """

    missing_required: tuple[str, ...]
    missing_optional: tuple[str, ...]
    extra: tuple[str, ...]
    type_changes: tuple[tuple[str, str, str], ...]

    @property
    def ok(self) -> bool:
        return not (self.missing_required or self.type_changes)

    @property
    def identical(self) -> bool:
        return self.ok and not (self.missing_optional or self.extra)


def compare(catalog: Connector, info: ConnectorInfo) -> FieldComparison:
    """Compare live metainfo with the catalog entry for the same connector."""
    live = {f.id: f for f in info.fields}
    missing_required = tuple(f.id for f in catalog.fields if f.id not in live and f.required)
    missing_optional = tuple(f.id for f in catalog.fields if f.id not in live and not f.required)
    extra = tuple(fid for fid in live if fid not in set(catalog.field_ids))
    type_changes = tuple(
        (f.id, f.kind.afas_data_type, live[f.id].data_type)
        for f in catalog.fields
        if f.id in live and live[f.id].data_type != f.kind.afas_data_type
    )
    return FieldComparison(missing_required, missing_optional, extra, type_changes)


@dataclass(frozen=True)
class AppInfo:
    """`GET /metainfo`: what this token's App Connector allows.

    Attributes:
        get_connectors: GetConnector id → description.
        update_connectors: UpdateConnector id → description.
        environment_id: AFAS's `envid`.
        app_name: the App Connector's description.
        token_expiry: when the token expires (Amsterdam local), if AFAS says.
    """

    get_connectors: dict[str, str]
    update_connectors: dict[str, str]
    environment_id: str | None
    app_name: str | None
    group: str | None
    token_expiry: dt.datetime | None


def _parse_afas_datetime(text: Any) -> dt.datetime | None:
    if not text or not isinstance(text, str):
        return None
    try:
        return dt.datetime.fromisoformat(text.rstrip("Z")).replace(tzinfo=None)
    except ValueError:
        return None


def parse_app_info(body: Any) -> AppInfo:
    """Parse the `/metainfo` answer."""
    if not isinstance(body, dict) or "getConnectors" not in body:
        raise ResponseFormatError("AFAS /metainfo answered without a 'getConnectors' list.")
    info = body.get("info") or {}

    def listing(items: Any) -> dict[str, str]:
        return {str(i.get("id")): str(i.get("description") or "") for i in (items or []) if isinstance(i, dict)}

    return AppInfo(
        get_connectors=listing(body.get("getConnectors")),
        update_connectors=listing(body.get("updateConnectors")),
        environment_id=info.get("envid"),
        app_name=info.get("appName"),
        group=info.get("group"),
        token_expiry=_parse_afas_datetime(info.get("tokenExpiry")),
    )


def _int_or_none(v: Any) -> int | None:
    try:
        return int(v) if v is not None and v != "" else None
    except (TypeError, ValueError):
        return None


def parse_connector_info(connector_id: str, body: Any) -> ConnectorInfo:
    """Parse the `/metainfo/get/{id}` answer."""
    if not isinstance(body, dict) or not isinstance(body.get("fields"), list):
        raise ResponseFormatError(f"AFAS /metainfo/get/{connector_id} answered without a 'fields' list.")
    fields = []
    for raw in body["fields"]:
        # `id` is the name rows, filters and sorting use; `fieldId` is AFAS's internal U-number.
        field_id = raw.get("id") if isinstance(raw, dict) else None
        if not field_id:
            raise ResponseFormatError(f"AFAS /metainfo/get/{connector_id} lists a field without an id.")
        fields.append(
            FieldInfo(
                id=str(field_id),
                data_type=str(raw.get("dataType") or "string").lower(),
                label=str(raw.get("label") or ""),
                length=_int_or_none(raw.get("length")),
                decimals=_int_or_none(raw.get("decimals")),
                control_type=_int_or_none(raw.get("controlType")),
                values=_code_values(raw.get("values")),
            )
        )
    return ConnectorInfo(str(body.get("name") or connector_id), str(body.get("description") or ""), tuple(fields))


def _code_values(raw: Any) -> tuple[tuple[str, str], ...]:
    """A code table's `values` as (code, description) pairs; what cannot be read is left out.

    The shape `[{"id","description"}]` is our guess [G], so this never fails: a `values` that is
    not a list gives no pairs, an item without an id is skipped, and key case is ignored. The
    descriptions only explain codes; a load does not need them.
    """
    if not isinstance(raw, list):
        return ()
    pairs = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        keys = {str(k).lower(): v for k, v in item.items()}
        code = keys.get("id")
        if code is None or code == "" or isinstance(code, (dict, list)):
            continue
        description = keys.get("description")
        readable = description is not None and not isinstance(description, (dict, list))
        pairs.append((str(code), str(description) if readable else ""))
    return tuple(pairs)


def kind_of(info: FieldInfo, catalog: Connector | None) -> Kind:
    """The Kind to type a live field with: the catalog's when it knows the field, else from AFAS's type.

    AFAS reports dates and datetimes both as `date`; an unknown `date` field is typed as a datetime
    so no time of day is lost.
    """
    if catalog is not None:
        try:
            known = catalog.field(info.id)
        except KeyError:
            known = None
        if known is not None and known.kind.afas_data_type == info.data_type:
            return known.kind
    return {
        "int": Kind.INT,
        "decimal": Kind.MONEY,
        "date": Kind.DATETIME,
        "boolean": Kind.BOOL,
        "blob": Kind.BLOB,
    }.get(info.data_type, Kind.TEXT)
