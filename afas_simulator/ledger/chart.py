"""The Dutch chart of accounts, journals, VAT codes and allocation axes every administration uses.

Accounts follow the Dutch decimal scheme: 0 fixed assets, equity and long-term debt; 1 liquid
assets, receivables, VAT and short-term debt; 3 stock; 4 costs; 8 revenue. Amounts on 4xxx and 8xxx
(profit and loss) are allocated to cost centres, the others are not. Arrays indexed by account
position let the generator look facts up for a million lines at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BALANCE = "Balans"
PROFIT_LOSS = "Winst & verlies"


@dataclass(frozen=True)
class Account:
    """One ledger account ("grootboekrekening").

    Attributes:
        no: account number, four digits.
        description: Dutch description.
        sort: sort code of the report group ("rubriek").
        collect_on: "Debiteuren"/"Crediteuren" for the collective accounts, else None.
        blocked: closed for new entries (never used by the generator).
    """

    no: str
    description: str
    sort: str
    collect_on: str | None = None
    blocked: bool = False

    @property
    def account_type(self) -> str:
        """`Balans` or `Winst & verlies` (4xxx-9xxx)."""
        return PROFIT_LOSS if self.no[0] in "456789" else BALANCE


ACCOUNTS: tuple[Account, ...] = (
    Account("0100", "Bedrijfsgebouwen", "010"),
    Account("0110", "Afschrijving bedrijfsgebouwen", "010"),
    Account("0200", "Inventaris", "011"),
    Account("0210", "Afschrijving inventaris", "011"),
    Account("0300", "Vervoermiddelen", "012"),
    Account("0310", "Afschrijving vervoermiddelen", "012"),
    Account("0500", "Geplaatst aandelenkapitaal", "020"),
    Account("0550", "Algemene reserve", "020"),
    Account("0700", "Lening o/g", "030"),
    Account("1000", "Kas", "100"),
    Account("1100", "Bank", "101"),
    Account("1110", "Spaarrekening", "101"),
    Account("1300", "Debiteuren", "110", collect_on="Debiteuren"),
    Account("1400", "Vooruitbetaalde kosten", "111"),
    Account("1500", "Af te dragen btw", "120"),
    Account("1510", "Te vorderen btw", "120"),
    Account("1520", "Afdracht btw", "120"),
    Account("1600", "Crediteuren", "130", collect_on="Crediteuren"),
    Account("1700", "Te betalen loonheffing", "131"),
    Account("1710", "Te betalen nettolonen", "131"),
    Account("1800", "Nog te betalen kosten", "132"),
    Account("3000", "Voorraad", "150"),
    Account("4000", "Brutolonen en salarissen", "400"),
    Account("4010", "Sociale lasten", "400"),
    Account("4020", "Pensioenpremies", "400"),
    Account("4100", "Huur bedrijfsruimte", "410"),
    Account("4110", "Gas, water en elektra", "410"),
    Account("4200", "Autokosten", "420"),
    Account("4210", "Brandstof", "420"),
    Account("4300", "Kantoorbenodigdheden", "430"),
    Account("4310", "Telefoon en internet", "430"),
    Account("4320", "Automatiseringskosten", "430"),
    Account("4390", "Kantoorkosten oud (vervallen)", "430", blocked=True),
    Account("4400", "Reclame en advertentiekosten", "440"),
    Account("4500", "Afschrijvingskosten", "450"),
    Account("4600", "Bankkosten", "460"),
    Account("4700", "Verzekeringen", "470"),
    Account("4800", "Accountants- en advieskosten", "480"),
    Account("4900", "Overige algemene kosten", "490"),
    Account("8000", "Omzet hoog tarief", "800"),
    Account("8010", "Omzet laag tarief", "800"),
    Account("8020", "Omzet dienstverlening", "801"),
    Account("8100", "Omzet buiten de EU", "802"),
    Account("8900", "Overige opbrengsten", "890"),
)

ACCOUNT_INDEX: dict[str, int] = {a.no: i for i, a in enumerate(ACCOUNTS)}
ACCOUNT_NOS: tuple[str, ...] = tuple(a.no for a in ACCOUNTS)

#: True where the account is on the profit-and-loss side (gets cost-centre allocations).
IS_PROFIT_LOSS = np.array([a.no[0] in "48" for a in ACCOUNTS])
#: True for revenue accounts (8xxx), which also carry a cost unit ("kostendrager").
IS_REVENUE = np.array([a.no[0] == "8" for a in ACCOUNTS])


def acc(no: str) -> int:
    """Position of an account number in `ACCOUNTS`."""
    return ACCOUNT_INDEX[no]


RECEIVABLES = acc("1300")
PAYABLES = acc("1600")
BANK = acc("1100")
VAT_PAYABLE = acc("1500")
VAT_RECEIVABLE = acc("1510")

#: Journal ids ("dagboeken"): 10 purchases, 20 sales, 50 bank, 70 memorial, 90 memorial
#: corrections (also opening balances); lines store the position.
JOURNALS: tuple[str, ...] = ("10", "20", "50", "70", "90")
JOURNAL_NAMES: tuple[str, ...] = ("Inkoopboek", "Verkoopboek", "Bank", "Memoriaal", "Memoriaal correcties")
PURCHASE, SALES, BANK_JOURNAL, MEMORIAL, CORRECTIONS = range(5)

#: VAT codes ("btw-codes") with their rates in percent; lines store the position.
VAT_CODES: tuple[str, ...] = ("0", "1", "2")
VAT_RATES: tuple[int, ...] = (0, 21, 9)
VAT_NONE, VAT_HIGH, VAT_LOW = range(3)
VAT_NAMES: tuple[str, ...] = ("Geen btw", f"Btw hoog {VAT_RATES[VAT_HIGH]}%", f"Btw laag {VAT_RATES[VAT_LOW]}%")

#: The currency every administration books and invoices in.
CURRENCY = "EUR"
CURRENCY_NAME = "Euro"


@dataclass(frozen=True)
class Axis:
    """An allocation axis ("verbijzonderingsas") and its codes `(code, description, blocked)`."""

    id: str
    description: str
    codes: tuple[tuple[str, str, bool], ...]

    @property
    def active(self) -> tuple[str, ...]:
        """Codes open for allocation, sorted (the generator stores their positions)."""
        return tuple(sorted(c for c, _, blocked in self.codes if not blocked))

    def describe(self, code: str) -> str:
        return next(d for c, d, _ in self.codes if c == code)


COST_CENTRES = Axis(
    "01",
    "Kostenplaats",
    (
        ("WEST", "Vestiging West", False),
        ("OOST", "Vestiging Oost", False),
        ("ICT", "ICT en automatisering", False),
        ("LOG", "Logistiek", False),
        ("HR", "Personeelszaken", False),
        ("ZUID", "Vestiging Zuid (gesloten)", True),
    ),
)
COST_UNITS = Axis(
    "02",
    "Kostendrager",
    (
        ("P100", "Producten", False),
        ("P200", "Diensten", False),
        ("P300", "Projecten", False),
        ("P900", "Overig", False),
    ),
)
PROJECTS = Axis(
    "03",
    "Project",
    (
        ("PRJ-2025-01", "Verbouwing kantoor", False),
        ("PRJ-2026-01", "Nieuw kassasysteem", False),
    ),
)
AXES: tuple[Axis, ...] = (COST_CENTRES, COST_UNITS, PROJECTS)

#: Active cost-centre codes (DimAx1) and cost-unit codes (DimAx2); lines store positions.
CENTRE_CODES: tuple[str, ...] = COST_CENTRES.active
UNIT_CODES: tuple[str, ...] = COST_UNITS.active
