"""The connector catalog: every AFAS GetConnector this project reads, declared once.

Each connector names its AFAS fields (id, kind, warehouse column, meaning), its natural key (which is
also the sort order used for paging: AFAS pages are only stable when ordered on a unique key), and
how it is sliced (administration, year, period) so that `skip` stays small.

Everything else is derived from here: the client's typing and paging, the simulator's metainfo,
the warehouse DDL and comments, and the data dictionary. Field lists follow
`shared/reference/afas-rest-api.md` §8; they model vendor definitions whose real field lists are not
public, which is why the pipeline also reads `/metainfo/get/{id}` at run time and compares.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "ACCOUNTS", "ADMINISTRATIONS", "ADMIN_ID", "ALLOCATION_CODES", "BOOKS", "CHANGED_ENTRY_DATES", "CONNECTORS",
    "Connector", "DIMENSION_AXES", "DOSSIER_ITEMS", "Field", "Kind", "PAYABLES", "PERIOD", "PERIOD_VALUES",
    "RECEIVABLES", "REPLACED", "REQUIRED_CONNECTOR_IDS", "SUBJECT_CONNECTOR", "Slicing", "TRANSACTIONS",
    "TRANSACTIONS_ALLOCATED", "UNIT_ID", "YEAR", "by_table", "connector", "resolve",
]


class Kind(enum.Enum):
    """What a field holds. AFAS's own `dataType` is derived from it (see `afas_data_type`)."""

    INT = "int"
    TEXT = "string"
    MONEY = "decimal"
    DATE = "date"  # AFAS sends `YYYY-MM-DDT00:00:00Z`
    DATETIME = "datetime"  # AFAS sends Amsterdam local time with a false `Z`
    BOOL = "boolean"
    BLOB = "blob"

    @property
    def afas_data_type(self) -> str:
        """The `dataType` AFAS reports in metainfo for this kind (dates and datetimes are both `date`)."""
        return "date" if self is Kind.DATETIME else self.value


#: What AFAS writes in an unlinked field instead of its value, whatever the field's dataType (a JSON
#: string even in a decimal, int, date or boolean field) [S]. `afas.frames` reads it as empty in typed
#: fields and keeps it in text fields.
REPLACED = "(replaced)"


class Slicing(enum.Enum):
    """How a connector's rows are split into independently loadable slices."""

    NONE = "none"  # the whole connector is one slice (administrations)
    ADMINISTRATION = "administration"  # one slice per administration (UnitId)
    ADMINISTRATION_PERIOD = "administration_period"  # per administration × year × period


@dataclass(frozen=True)
class Field:
    """One field of a GetConnector.

    Attributes:
        id: the AFAS field id, exactly as AFAS spells it (case matters in rows).
        kind: what it holds.
        column: the warehouse column name (snake_case English).
        meaning: one line for table comments and the data dictionary.
        required: a required field missing from the connector's metainfo fails the load.
        decimals: digits after the point for money (AFAS metainfo `decimals`).
    """

    id: str
    kind: Kind
    column: str
    meaning: str
    required: bool = True
    decimals: int = 2


@dataclass(frozen=True)
class Connector:
    """One AFAS GetConnector as this project uses it.

    Attributes:
        id: the GetConnector id to tick in the App Connector.
        table: the warehouse table it lands in.
        description: what the rows are, for comments and `doctor`.
        fields: every field the catalog knows, in AFAS order.
        key: field ids that identify a row; pages are ordered on them (integer fields first).
        slicing: how loads are split.
        optional: not part of the user's nine; used when the App Connector happens to have it.
        snapshots: rows describe a state on a day (open items), not a history; each load keeps a
            dated snapshot so the history accumulates instead of being overwritten.
    """

    id: str
    table: str
    description: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    slicing: Slicing
    optional: bool = False
    snapshots: bool = False

    def field(self, field_id: str) -> Field:
        """The field with this AFAS id (exact spelling)."""
        for f in self.fields:
            if f.id == field_id:
                return f
        raise KeyError(f"{self.id} has no field {field_id!r}")

    @property
    def field_ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.fields)

    @property
    def sort_fields(self) -> tuple[str, ...]:
        """The paging order: the key with integer fields first (AFAS sorts those by index)."""
        ints = [k for k in self.key if self.field(k).kind is Kind.INT]
        rest = [k for k in self.key if self.field(k).kind is not Kind.INT]
        return tuple(ints + rest)


# Field ids shared by most connectors, named once.
UNIT_ID = "UnitId"
YEAR = "Year"
PERIOD = "Period"
ADMIN_ID = "AdminId"

DIMENSION_AXES = 5


def _unit() -> Field:
    return Field(UNIT_ID, Kind.INT, "administration_id", "Administratie (administration)")


def _dims(prefix_meaning: str = "Verbijzonderingscode op as") -> tuple[Field, ...]:
    return tuple(
        Field(f"DimAx{i}", Kind.TEXT, f"dimension_{i}", f"{prefix_meaning} {i}", required=False)
        for i in range(1, DIMENSION_AXES + 1)
    )


def _open_item_fields(party: str, column: str, dutch: str) -> tuple[Field, ...]:
    """Open items of debtors or creditors: the same fields, named after the party."""
    return (
        _unit(),
        Field(f"{party}Id", Kind.TEXT, f"{column}_id", dutch),
        Field(f"{party}Name", Kind.TEXT, f"{column}_name", f"Naam {dutch.lower()}", required=False),
        Field("InvoiceNr", Kind.TEXT, "invoice_no", "Factuurnummer"),
        Field("InvoiceDate", Kind.DATE, "invoice_date", "Factuurdatum", required=False),
        Field("ExpDate", Kind.DATE, "due_date", "Vervaldatum", required=False),
        Field("CurrencyId", Kind.TEXT, "currency", "Valuta", required=False),
        Field("AmtInvoice", Kind.MONEY, "invoice_amount", "Factuurbedrag (EUR)"),
        Field("AmtInvoiceCurr", Kind.MONEY, "invoice_amount_currency", "Factuurbedrag in valuta", required=False),
        Field("Balance", Kind.MONEY, "open_amount", "Openstaand bedrag (EUR)"),
        Field("BalanceCurr", Kind.MONEY, "open_amount_currency", "Openstaand bedrag in valuta", required=False),
        Field("Description", Kind.TEXT, "description", "Omschrijving", required=False),
    )


_TRANSACTION_FIELDS: tuple[Field, ...] = (
    _unit(),
    Field("EntryNo", Kind.INT, "entry_no", "Boekstuknummer intern (journaalpost)"),
    Field("SeqNo", Kind.INT, "line_no", "Volgnummer van de regel binnen de journaalpost"),
    Field(YEAR, Kind.INT, "fiscal_year", "Boekjaar"),
    Field(PERIOD, Kind.INT, "period", "Boekperiode (0 opening, 1-12, 13 bij 4-wekelijkse jaren)"),
    Field("JournalId", Kind.TEXT, "journal_id", "Dagboek (10 inkoop, 20 verkoop, 50 bank, 70/90 memoriaal)"),
    Field("AccountNo", Kind.TEXT, "account_no", "Grootboekrekening"),
    Field("AmtDebit", Kind.MONEY, "amount_debit", "Bedrag debet (EUR)"),
    Field("AmtCredit", Kind.MONEY, "amount_credit", "Bedrag credit (EUR)"),
    Field("EntryDate", Kind.DATE, "entry_date", "Boekdatum"),
    Field("InvoiceId", Kind.TEXT, "invoice_id", "Factuurnummer", required=False),
    Field("VoucherDate", Kind.DATE, "voucher_date", "Datum boekstuk", required=False),
    Field("VoucherNo", Kind.TEXT, "voucher_no", "Boekstuknummer", required=False),
    Field("VatCode", Kind.TEXT, "vat_code", "Btw-code", required=False),
    Field("VatAmt", Kind.MONEY, "vat_amount", "Btw-bedrag (EUR)", required=False),
    Field("Description", Kind.TEXT, "description", "Omschrijving boeking", required=False),
    Field("Created", Kind.DATETIME, "created_at", "Aangemaakt (Amsterdamse tijd)", required=False),
    Field("Modified", Kind.DATETIME, "modified_at", "Laatst gewijzigd (Amsterdamse tijd, hele seconden)", required=False),
)


# The entries below are alike in shape (`duplicates` pairs the open-items connectors): each is its own
# AFAS definition, declared as data; what they share is already factored out (`_open_item_fields`).
CONNECTORS: tuple[Connector, ...] = (
    Connector(
        id="Visionplanner_administrations",
        table="administrations",
        description="Administrations (administraties) of the AFAS environment, with their company names",
        fields=(
            Field(ADMIN_ID, Kind.INT, "administration_id", "Administratie (administration)"),
            Field("AdminNm", Kind.TEXT, "name", "Naam administratie"),
            Field("AdminCd", Kind.TEXT, "code", "Code administratie", required=False),
            Field("CurrencyId", Kind.TEXT, "currency", "Valuta administratie", required=False),
            Field("Blocked", Kind.BOOL, "blocked", "Geblokkeerd", required=False),
        ),
        key=(ADMIN_ID,),
        slicing=Slicing.NONE,
    ),
    Connector(
        id="Visionplanner_periodvalues",
        table="period_values",
        description="Period values (saldi): AFAS's own totals per administration, fiscal year, period, ledger account and allocation",
        fields=(
            _unit(),
            Field(YEAR, Kind.INT, "fiscal_year", "Boekjaar"),
            Field(PERIOD, Kind.INT, "period", "Boekperiode"),
            Field("AccountNr", Kind.TEXT, "account_no", "Grootboekrekening"),
            Field("AccountDesc", Kind.TEXT, "account_description", "Omschrijving grootboekrekening", required=False),
            Field("Debit", Kind.MONEY, "debit", "Mutatie debet in de periode (EUR)"),
            Field("Credit", Kind.MONEY, "credit", "Mutatie credit in de periode (EUR)"),
            Field("Balance", Kind.MONEY, "balance", "Saldo t/m de periode (EUR)", required=False),
            Field("Budget", Kind.MONEY, "budget", "Budget voor de periode (EUR)", required=False),
            *_dims(),
        ),
        key=(UNIT_ID, YEAR, PERIOD, "AccountNr", *(f"DimAx{i}" for i in range(1, DIMENSION_AXES + 1))),
        slicing=Slicing.ADMINISTRATION_PERIOD,
    ),
    Connector(
        id="Visionplanner_transactions",
        table="transactions",
        description="Transactions (financiële mutaties): one row per booking line",
        fields=_TRANSACTION_FIELDS,
        key=(UNIT_ID, "EntryNo", "SeqNo"),
        slicing=Slicing.ADMINISTRATION_PERIOD,
    ),
    Connector(
        id="Visionplanner_dossieritems",
        table="dossier_items",
        description="Dossier items (dossieritems) with their attachments, linked to entries and invoices",
        fields=(
            Field("SubjectId", Kind.INT, "subject_id", "Dossieritem (nummer)"),
            _unit(),
            Field("Subject", Kind.TEXT, "subject", "Onderwerp", required=False),
            Field("TypeId", Kind.INT, "type_id", "Type dossieritem", required=False),
            Field("FiEntryNumber", Kind.INT, "entry_no", "Gekoppelde journaalpost (EntryNo)", required=False),
            Field("BookPieceNumber", Kind.TEXT, "voucher_no", "Boekstuknummer", required=False),
            Field("SalesInvoiceNumber", Kind.TEXT, "sales_invoice_no", "Verkoopfactuur", required=False),
            Field("PurchaseInvoiceNumber", Kind.TEXT, "purchase_invoice_no", "Inkoopfactuur", required=False),
            Field("DateCreated", Kind.DATETIME, "created_at", "Aangemaakt (Amsterdamse tijd)", required=False),
            Field("Modified", Kind.DATETIME, "modified_at", "Laatst gewijzigd (Amsterdamse tijd)", required=False),
            Field("FileId", Kind.TEXT, "file_id", "Bijlage (id voor de subjectconnector)"),
            Field("FileName", Kind.TEXT, "file_name", "Bestandsnaam van de bijlage", required=False),
        ),
        key=("SubjectId", "FileId"),
        slicing=Slicing.ADMINISTRATION,
    ),
    Connector(
        id="Visionplanner_outstanding_receivables",
        table="outstanding_receivables",
        description="Outstanding receivables (openstaande posten debiteuren), one snapshot per load day",
        fields=_open_item_fields("Debtor", "debtor", "Debiteur"),
        key=(UNIT_ID, "DebtorId", "InvoiceNr"),
        slicing=Slicing.ADMINISTRATION,
        snapshots=True,
    ),
    Connector(
        id="Visionplanner_outstanding_payables",
        table="outstanding_payables",
        description="Outstanding payables (openstaande posten crediteuren), one snapshot per load day",
        fields=(
            *_open_item_fields("Creditor", "creditor", "Crediteur"),
            Field("Blocked", Kind.BOOL, "payment_blocked", "Geblokkeerd voor betaling", required=False),
        ),
        key=(UNIT_ID, "CreditorId", "InvoiceNr"),
        slicing=Slicing.ADMINISTRATION,
        snapshots=True,
    ),
    Connector(
        id="Visionplanner_changed_description_general_ledger",
        table="accounts",
        description="Chart of accounts (rekeningschema): ledger accounts with their current descriptions",
        fields=(
            _unit(),
            Field("AccountNo", Kind.TEXT, "account_no", "Grootboekrekening"),
            Field("Description", Kind.TEXT, "description", "Omschrijving grootboekrekening"),
            Field("AccountType", Kind.TEXT, "account_type", "Soort rekening (balans/winst-en-verlies)", required=False),
            Field("Sort", Kind.TEXT, "sort_key", "Sorteercode", required=False),
            Field("CollectAccount", Kind.BOOL, "is_collective", "Verzamelrekening", required=False),
            Field("Blocked", Kind.BOOL, "blocked", "Geblokkeerd", required=False),
            Field("Modified", Kind.DATETIME, "modified_at", "Laatst gewijzigd (Amsterdamse tijd)", required=False),
        ),
        key=(UNIT_ID, "AccountNo"),
        slicing=Slicing.ADMINISTRATION,
    ),
    Connector(
        id="Precal_Verbijzonderingscodes",
        table="allocation_codes",
        description="Allocation axes and codes (verbijzonderingsassen en -codes: cost centres, cost units)",
        fields=(
            _unit(),
            Field("DimAx", Kind.TEXT, "axis", "Verbijzonderingsas"),
            Field("AxDescription", Kind.TEXT, "axis_description", "Omschrijving as", required=False),
            Field("DimCode", Kind.TEXT, "code", "Verbijzonderingscode"),
            Field("CodeDescription", Kind.TEXT, "code_description", "Omschrijving code", required=False),
            Field("Blocked", Kind.BOOL, "blocked", "Geblokkeerd", required=False),
        ),
        key=(UNIT_ID, "DimAx", "DimCode"),
        slicing=Slicing.ADMINISTRATION,
    ),
    Connector(
        id="Profit_Transactions_Allocated",
        table="transactions_allocated",
        description="Allocated transactions (mutaties per verbijzonderingsregel): one row per booking line × allocation",
        fields=(
            *_TRANSACTION_FIELDS,
            Field("Omschrijving", Kind.TEXT, "allocation_description", "Omschrijving verbijzondering", required=False),
            Field("Type", Kind.TEXT, "account_type", "Type rekening", required=False),
            Field("Collect_On", Kind.TEXT, "collect_on", "Verzamelen op", required=False),
            *_dims(),
        ),
        key=(UNIT_ID, "EntryNo", "SeqNo", *(f"DimAx{i}" for i in range(1, DIMENSION_AXES + 1))),
        slicing=Slicing.ADMINISTRATION_PERIOD,
    ),
    Connector(
        id="Profit_Fin_ChangedEntrydate",
        table="changed_entry_dates",
        description="Entry dates on which transactions were added, changed or deleted (change feed)",
        fields=(
            _unit(),
            Field("EntryDate", Kind.DATE, "entry_date", "Boekdatum"),
            Field("Modified", Kind.DATETIME, "modified_at", "Moment van de laatste wijziging (Amsterdamse tijd)"),
        ),
        key=(UNIT_ID, "EntryDate"),
        slicing=Slicing.ADMINISTRATION,
        optional=True,
    ),
)

#: The special connector for documents ("Connectoren" tab of the App Connector, not a GetConnector).
SUBJECT_CONNECTOR = "AppConnectorSubject"

_BY_ID = {c.id: c for c in CONNECTORS}

#: The nine GetConnectors the user ticks in the App Connector (seed, step 2).
REQUIRED_CONNECTOR_IDS: tuple[str, ...] = tuple(c.id for c in CONNECTORS if not c.optional)

ADMINISTRATIONS = _BY_ID["Visionplanner_administrations"]
PERIOD_VALUES = _BY_ID["Visionplanner_periodvalues"]
TRANSACTIONS = _BY_ID["Visionplanner_transactions"]
DOSSIER_ITEMS = _BY_ID["Visionplanner_dossieritems"]
RECEIVABLES = _BY_ID["Visionplanner_outstanding_receivables"]
PAYABLES = _BY_ID["Visionplanner_outstanding_payables"]
ACCOUNTS = _BY_ID["Visionplanner_changed_description_general_ledger"]
ALLOCATION_CODES = _BY_ID["Precal_Verbijzonderingscodes"]
TRANSACTIONS_ALLOCATED = _BY_ID["Profit_Transactions_Allocated"]
CHANGED_ENTRY_DATES = _BY_ID["Profit_Fin_ChangedEntrydate"]

#: A period's books: the connectors sliced by administration × period, loaded (and replaced) together
#: in one commit so that a period's tables never disagree; AFAS's own totals (period values) last.
BOOKS: tuple[Connector, ...] = (TRANSACTIONS, TRANSACTIONS_ALLOCATED, PERIOD_VALUES)
assert set(BOOKS) == {c for c in CONNECTORS if c.slicing is Slicing.ADMINISTRATION_PERIOD}


def resolve(connector_or_id: Connector | str) -> Connector:
    """The catalog entry for a `Connector` or a GetConnector id (the edges take ids, layers objects)."""
    return connector_or_id if isinstance(connector_or_id, Connector) else connector(connector_or_id)


def by_table(table: str) -> Connector:
    """The catalog entry whose rows land in this warehouse table."""
    for c in CONNECTORS:
        if c.table == table:
            return c
    raise KeyError(f"no connector of the catalog lands in table {table!r}")


def connector(connector_id: str) -> Connector:
    """The catalog entry for a GetConnector id (exact spelling)."""
    try:
        return _BY_ID[connector_id]
    except KeyError:
        raise KeyError(f"{connector_id!r} is not in the connector catalog") from None
