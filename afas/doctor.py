"""The connection check: is this environment set up the way the seed's steps describe?

Each finding is a `Check` with a status and, when something is wrong, the setup step that fixes it.
Rendering is left to the caller (the command line prints it; tests read it).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import catalog
from afas.client import AfasClient
from afas.errors import (
    AfasError,
    AuthenticationError,
    ConnectorNotAuthorizedError,
    NotFoundError,
)
from afas.filters import Condition, Filter, Op
from afas.metainfo import AppInfo, ConnectorInfo, compare

#: AFAS's 2026 docs: existing classic tokens expire on this day, classic App Connectors stop after the next.
CLASSIC_TOKENS_EXPIRE = dt.date(2027, 5, 1)
CLASSIC_CONNECTORS_STOP = dt.date(2027, 8, 31)
_WARN_DAYS = 60


class Status(enum.Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, the verdict, details, and the fix when it is not ok."""

    name: str
    status: Status
    detail: str = ""
    fix: str = ""


@dataclass
class Report:
    """All findings for one environment."""

    environment: str
    checks: list[Check] = field(default_factory=list)
    administrations: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status is not Status.FAIL for c in self.checks)

    def add(self, name: str, status: Status, detail: str = "", fix: str = "") -> None:
        self.checks.append(Check(name, status, detail, fix))


_TICK_STEP = (
    "AFAS Online → Beheer → App connector → open the App Connector → 'GetConnector' → 'Nieuw' → tick {names} "
    "→ 'Voltooien' (seed step 2)."
)
_SUBJECT_STEP = (
    f"AFAS Online → Beheer → App connector → open the App Connector → 'Connectoren' → 'Nieuw' → tick "
    f"'{catalog.SUBJECT_CONNECTOR}' (seed step 2, 'door kunnen zoomen naar documenten')."
)


def diagnose(
    client: AfasClient, *, today: dt.date | None = None, held: Mapping[int, dt.datetime] | None = None
) -> Report:
    """Check token, ticked connectors, their fields, the administrations (and whether the token's user
    sees their rows) and token deadlines.

    Args:
        held: the administrations of this environment whose data the lake holds, with when it was
            last loaded (the command line reads them from the lake); each one AFAS no longer shows is
            reported as vanished, with the command that confirms its removal.
    """
    today = today or dt.date.today()
    report = Report(client.connection.name)
    try:
        version = client.profit_version()
        info = client.app_info(refresh=True)
    except AfasError as exc:
        report.add("token accepted", Status.FAIL, exc.for_command())
        return report
    report.add("token accepted", Status.OK, f"AFAS Profit {version}; App Connector '{info.app_name or '?'}'")
    _check_connectors(client, info, report)
    _check_fields(client, info, report)
    listed = _check_administrations(client, info, report)
    _check_rows_visible(client, info, report, held or {})
    if listed:
        _check_vanished_unlisted(report, held or {})
    _check_deadlines(client, info, report, today)
    return report


def _check_connectors(client: AfasClient, info: AppInfo, report: Report) -> None:
    missing = [c for c in catalog.REQUIRED_CONNECTOR_IDS if c not in info.get_connectors]
    for connector_id in catalog.REQUIRED_CONNECTOR_IDS:
        if connector_id in info.get_connectors:
            report.add(f"GetConnector {connector_id}", Status.OK, "ticked")
    if missing:
        names = ", ".join(f"'{m}'" for m in missing)
        report.add(
            f"GetConnectors missing ({len(missing)})",
            Status.FAIL,
            f"not ticked in the App Connector: {names}",
            _TICK_STEP.format(names=names),
        )
    optional = catalog.CHANGED_ENTRY_DATES.id
    if optional in info.get_connectors:
        report.add(f"GetConnector {optional}", Status.OK, "ticked (lets incremental loads see deletions)")
    else:
        report.add(
            f"GetConnector {optional}",
            Status.WARN,
            "not ticked: incremental loads fall back to the Modified date and cannot see deletions directly",
            _TICK_STEP.format(names=f"'{optional}'"),
        )
    if _subject_connector_ticked(client, info):
        report.add(f"{catalog.SUBJECT_CONNECTOR}", Status.OK, "ticked: documents can be downloaded")
    else:
        report.add(
            f"{catalog.SUBJECT_CONNECTOR}",
            Status.FAIL,
            "not ticked: documents of dossier items cannot be downloaded",
            _SUBJECT_STEP,
        )


def _subject_connector_ticked(client: AfasClient, info: AppInfo) -> bool:
    if catalog.SUBJECT_CONNECTOR in info.update_connectors or catalog.SUBJECT_CONNECTOR in info.get_connectors:
        return True
    # Not every AFAS version lists it in metainfo: ask for a file that cannot exist. A ticked
    # subject connector answers 404 (no such file); an unticked one 401.
    try:
        client.document(0, "0" * 32)
    except NotFoundError:
        return True
    except (ConnectorNotAuthorizedError, AuthenticationError):
        return False
    return True


def _check_fields(client: AfasClient, info: AppInfo, report: Report) -> None:
    for entry in catalog.CONNECTORS:
        if entry.id not in info.get_connectors:
            continue
        try:
            live = client.connector_info(entry.id)
        except AfasError as exc:
            report.add(f"fields of {entry.id}", Status.FAIL, exc.for_command())
            continue
        diff = compare(entry, live)
        if diff.identical:
            report.add(f"fields of {entry.id}", Status.OK, f"{len(live.fields)} fields as in the catalog")
            continue
        parts = []
        if diff.missing_required:
            parts.append("missing required: " + ", ".join(diff.missing_required))
        if diff.type_changes:
            parts.append("type changed: " + ", ".join(f"{f} {a}→{b}" for f, a, b in diff.type_changes))
        if diff.missing_optional:
            parts.append("missing (will load empty): " + ", ".join(diff.missing_optional))
        if diff.extra:
            parts.append("extra (kept as new columns): " + ", ".join(_extra_field(live, f) for f in diff.extra))
        report.add(
            f"fields of {entry.id}",
            Status.OK if diff.ok and not diff.missing_optional else (Status.WARN if diff.ok else Status.FAIL),
            "; ".join(parts),
            "" if diff.ok else "The connector definition in AFAS differs from the standard one: ask whoever "
            "maintains it to restore the missing fields, or report the difference to this project.",
        )


def _extra_field(live: ConnectorInfo, field_id: str) -> str:
    """An extra field with its AFAS type: `Btw-nummer (string)`; a blob says how it is kept."""
    info = live.field(field_id)
    data_type = info.data_type if info is not None else "?"
    return f"{field_id} ({data_type}{', kept as base64 text' if data_type == 'blob' else ''})"


def _check_administrations(client: AfasClient, info: AppInfo, report: Report) -> bool:
    """Whether the list of administrations could be read (then `report.administrations` is it)."""
    entry = catalog.ADMINISTRATIONS
    if entry.id not in info.get_connectors:
        return False
    try:
        rows = client.fetch(entry).frame
    except AfasError as exc:
        report.add("administrations", Status.FAIL, exc.for_command())
        return False
    report.administrations = [(int(r[catalog.ADMIN_ID]), str(r.get("AdminNm") or "")) for r in rows.iter_rows(named=True)]
    if report.administrations:
        report.add("administrations", Status.OK, f"{len(report.administrations)} visible to this token")
    else:
        report.add(
            "administrations",
            Status.FAIL,
            "the token sees no administrations",
            "Give the token's user rights on the administrations in the autorisatietool (seed step 3).",
        )
    return True


#: Per-administration book connectors that show whether the token's user sees an administration's
#: rows, asked in this order until one shows a row. Period values first: an administration with any
#: bookings has balances, and far fewer of them than transaction lines.
_ROW_PROBES = (catalog.PERIOD_VALUES.id, catalog.TRANSACTIONS.id)
_RIGHTS_STEP = (
    "Give this token's user (the one chosen under App connector → Gebruikerstokens, seed step 3) rights to "
    "administration {admin_id} in AFAS Online's Autorisatietool, then run `afas-pipeline doctor` again. "
    "If the administration holds no bookings yet, there is nothing to fix."
)


def _check_rows_visible(client: AfasClient, info: AppInfo, report: Report, held: Mapping[int, dt.datetime]) -> None:
    """Warn about each listed administration of which the token's user sees no rows at all.

    AFAS lists every administration, but an authorised connector silently leaves out the rows a user
    without rights to them may not see [S]: loads of such an administration succeed with 0 rows. The
    token's user is not in AFAS's metainfo, so the message names it by the seed step that chose it.
    A warning, not a failure: a new administration without bookings looks the same.

    Cost, so doctor stays fast with many administrations: one call of one row per administration (a
    `UnitId` filter, take=1 and no order — existence needs any row, so AFAS can stop at the first
    instead of sorting), plus one on transactions only for an administration whose period values
    show none; `max_in_flight` at a time. 200 administrations: about 200 calls in 40 rounds of 5.
    """
    probes = [c for c in _ROW_PROBES if c in info.get_connectors]
    if not probes or not report.administrations:
        return  # unticked connectors and a missing list are reported already

    def sees_rows(admin_id: int) -> bool | AfasError:
        only = Filter.where(Condition(catalog.UNIT_ID, Op.EQ, admin_id))
        try:
            return any(client.page(c, filter=only, order=(), take=1).height for c in probes)
        except AfasError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=client.settings.max_in_flight, thread_name_prefix="afas-doctor") as pool:
        seen = list(pool.map(sees_rows, [admin_id for admin_id, _ in report.administrations]))
    for (admin_id, name), sees in zip(report.administrations, seen, strict=True):
        if isinstance(sees, AfasError):
            report.add(f"rows of administration {admin_id}", Status.WARN, f"could not be checked: {sees}")
        elif not sees and admin_id in held:
            _report_vanished(report, admin_id, name, held[admin_id],
                             f"is listed, but this token's user sees none of its rows in {' or '.join(probes)}")
        elif not sees:
            report.add(
                f"rows of administration {admin_id}",
                Status.WARN,
                f"administration {admin_id} '{name}' is listed, but this token's user sees none of its rows "
                f"in {' or '.join(probes)}: its loads will be empty",
                _RIGHTS_STEP.format(admin_id=admin_id),
            )
    if all(sees is True for sees in seen):
        report.add("rows of administrations", Status.OK, f"this token's user sees rows of all {len(seen)}")


_VANISHED_STEP = (
    "If it should still be there: give this token's user (App connector → Gebruikerstokens, seed step 3) rights "
    "to administration {admin_id} again in the autorisatietool, and the loads go on. If it is gone for good "
    "(deleted in AFAS Online, or the user should no longer see it): `afas-pipeline confirm-removed {key}` "
    "removes its data from the lake (older lake snapshots keep it for time travel)."
)


def _report_vanished(report: Report, admin_id: int, name: str, last_loaded: dt.datetime, how: str) -> None:
    """One WARN per administration whose data the lake holds but AFAS no longer shows (see assets.vanished)."""
    since = last_loaded.isoformat(timespec="seconds") if last_loaded else "?"
    label = f"administration {admin_id}" + (f" '{name}'" if name else "")
    report.add(
        f"vanished administration {admin_id}",
        Status.WARN,
        f"{label} {how}: it vanished from AFAS. Its data in the lake (last loaded {since}) is kept and every "
        "load of it fails until this is resolved",
        _VANISHED_STEP.format(admin_id=admin_id, key=f"{report.environment}-{admin_id}"),
    )


def _check_vanished_unlisted(report: Report, held: Mapping[int, dt.datetime]) -> None:
    listed = {admin_id for admin_id, _ in report.administrations}
    for admin_id in sorted(set(held) - listed):
        _report_vanished(report, admin_id, "", held[admin_id], "is no longer listed in Visionplanner_administrations")


def _check_deadlines(client: AfasClient, info: AppInfo, report: Report, today: dt.date) -> None:
    expiry = info.token_expiry.date() if info.token_expiry else None
    if client.connection.auth.oauth:
        report.add("token type", Status.OK, "OAuth client credentials (AFAS's successor to classic tokens)")
        return
    if expiry is not None:
        days = (expiry - today).days
        if days < 0:
            report.add("token expiry", Status.FAIL, f"expired on {expiry}", "Create a new user token (seed step 3).")
        elif days <= _WARN_DAYS:
            report.add("token expiry", Status.WARN, f"expires on {expiry} ({days} days)",
                       "Create a new user token before then (seed step 3) and run `afas-pipeline connect`.")
        else:
            report.add("token expiry", Status.OK, f"expires on {expiry} ({days} days)")
    stop_days = (CLASSIC_CONNECTORS_STOP - today).days
    report.add(
        "classic token deadline",
        Status.WARN if stop_days <= 365 else Status.OK,
        f"AFAS retires classic tokens: existing ones expire on {CLASSIC_TOKENS_EXPIRE}, classic App Connectors "
        f"stop after {CLASSIC_CONNECTORS_STOP} ({stop_days} days from now)",
        "Plan the switch to OAuth client credentials (`afas-pipeline connect --oauth`).",
    )
