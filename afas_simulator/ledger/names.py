"""Dutch names: administrations, customers, suppliers and months.

The lists are fixed; which name an administration or party gets is drawn from the seeded streams,
so different environments show different companies.
"""

from __future__ import annotations

from dataclasses import dataclass

from .chart import VAT_HIGH, VAT_LOW, VAT_NONE, acc

MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip

#: (name, short code) of administrations.
ADMINISTRATIONS: tuple[tuple[str, str], ...] = (
    ("Bakkerij De Graaf B.V.", "BDG"),
    ("Installatiebedrijf Van Dijk B.V.", "IVD"),
    ("Jansen Logistiek B.V.", "JLO"),
    ("Hoveniersbedrijf De Linde", "HDL"),
    ("Bouwbedrijf Mulder & Zn. B.V.", "BMZ"),
    ("Tandartspraktijk Smit", "TPS"),
    ("Drukkerij Visser B.V.", "DVI"),
    ("Autobedrijf Bakker B.V.", "ABB"),
    ("Kinderopvang Het Zonnetje", "KHZ"),
    ("ICT-Diensten Meijer B.V.", "IDM"),
    ("Restaurant De Gouden Leeuw", "RGL"),
    ("Schildersbedrijf Bos", "SBB"),
    ("Fysiotherapie Vos & De Wit", "FVW"),
    ("Groothandel Peters B.V.", "GPB"),
    ("Advocatenkantoor Hendriks", "ADH"),
    ("Transportbedrijf Dekker B.V.", "TDB"),
)

#: Customers ("debiteuren").
CUSTOMERS: tuple[str, ...] = (
    "De Vries Holding B.V.", "Gemeente Utrecht", "Albert Heijn Filiaal 1123", "Brouwer Vastgoed B.V.",
    "Stichting Zorggroep Oost", "Van den Berg Techniek", "Hotel De Swaen", "Koster Bouw B.V.",
    "Café Het Hoekje", "Willems Advies", "Scholengemeenschap Noord", "Dijkstra Transport B.V.",
    "Vereniging De Eendracht", "Huisartsenpraktijk Kok", "Prins Catering B.V.", "Maas & Co",
    "Sportvereniging Quick", "Schouten Architecten", "Pieters Bloemen", "Van Leeuwen Installaties",
    "Restaurant Aan de Gracht", "Groen Hoveniers B.V.", "Kerkhof Mode", "Timmerman Events",
)  # fmt: skip


@dataclass(frozen=True)
class Supplier:
    """A supplier ("crediteur") with the cost account and VAT code its invoices land on."""

    name: str
    prefix: str
    account: int
    vat: int


SUPPLIERS: tuple[Supplier, ...] = (
    Supplier("KPN B.V.", "KPN", acc("4310"), VAT_HIGH),
    Supplier("Eneco Zakelijk", "ENC", acc("4110"), VAT_HIGH),
    Supplier("Vastgoed Beheer Centrum B.V.", "VBC", acc("4100"), VAT_HIGH),
    Supplier("Shell Nederland Verkoopmaatschappij", "SHL", acc("4210"), VAT_HIGH),
    Supplier("Lease Plan Nederland", "LPN", acc("4200"), VAT_HIGH),
    Supplier("Office Centre", "OC", acc("4300"), VAT_HIGH),
    Supplier("Exact Software", "EXS", acc("4320"), VAT_HIGH),
    Supplier("Dataweb Hosting B.V.", "DWH", acc("4320"), VAT_HIGH),
    Supplier("Drukwerkdeal", "DWD", acc("4400"), VAT_HIGH),
    Supplier("Nationale-Nederlanden", "NN", acc("4700"), VAT_NONE),
    Supplier("Accountantskantoor Jongsma", "ACJ", acc("4800"), VAT_HIGH),
    Supplier("Hanos Groothandel", "HAN", acc("4900"), VAT_LOW),
    Supplier("Sligro Food Group", "SLI", acc("4900"), VAT_LOW),
    Supplier("Coolblue Zakelijk", "CBZ", acc("4320"), VAT_HIGH),
)
