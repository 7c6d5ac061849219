"""One exception hierarchy for everything that can go wrong talking to AFAS Online.

Every message says what happened and what the user does about it, in the terms of the App Connector
setup in AFAS Online (see `shared/reference/seed-afas-online-token.txt`). Messages never contain a
token, a client secret or an Authorization header: they are built from our own words, the
connector id and AFAS's own error text only.
"""

from __future__ import annotations

from catalog import SUBJECT_CONNECTOR

APP_CONNECTOR_STEPS = "AFAS Online → Beheer → App connector"


class AfasError(Exception):
    """Base of all errors raised by the `afas` package.

    Attributes:
        profit_log_reference: AFAS's reference for its support desk (32 hex), when AFAS gave one.
        status_code: the HTTP status AFAS answered with, when there was an answer.
    """

    retryable = False

    def __init__(self, message: str, *, status_code: int | None = None, profit_log_reference: str | None = None):
        if profit_log_reference:
            message = f"{message} (AFAS profitLogReference {profit_log_reference}, quote it to AFAS support)"
        super().__init__(message)
        self.status_code = status_code
        self.profit_log_reference = profit_log_reference

    def for_command(self) -> str:
        """The message as a one-off command (`connect`, `doctor`, `document`) shows it; most errors read
        the same there as in a load, the ones whose advice is "it retries by itself" do not."""
        return str(self)


class ConfigurationError(AfasError):
    """Our own settings are wrong (malformed token, environment code, base URL)."""


class TokenFormatError(ConfigurationError):
    """The token text is not one of the accepted forms."""


class EnvironmentCodeError(ConfigurationError):
    """The environment code ("omgevingscode") cannot be understood."""


class AuthenticationError(AfasError):
    """AFAS rejected the credentials (HTTP 401 on a call any valid token may make)."""

    def __init__(self, *, status_code: int | None = 401, oauth: bool = False):
        if oauth:
            message = (
                "AFAS rejected the OAuth client credentials or access token. Check the client id and secret "
                f"of the App Connector ({APP_CONNECTOR_STEPS}) and that the secret has not expired "
                "(AFAS client secrets are valid for 180 days by default)."
            )
        else:
            message = (
                "AFAS rejected the token (HTTP 401): it is wrong, expired or deleted, or the App Connector "
                f"is blocked. In {APP_CONNECTOR_STEPS}: make sure the connector is not blocked (step 2), then "
                "open 'Gebruikerstokens', click 'Nieuw' and create a new user token (step 3); copy it at once, "
                "AFAS shows it only once (step 4). Store it with `afas-pipeline connect`."
            )
        super().__init__(message, status_code=status_code)


class ConnectorNotAuthorizedError(AfasError):
    """A GetConnector (or AppConnectorSubject) is not ticked in the App Connector (HTTP 401 with text)."""

    def __init__(self, connector_id: str, *, status_code: int | None = 401):
        if connector_id == SUBJECT_CONNECTOR:
            how = (
                f"In {APP_CONNECTOR_STEPS}, open the App Connector, go to the 'Connectoren' tab, click 'Nieuw' "
                f"and tick '{SUBJECT_CONNECTOR}' (needed to download documents)."
            )
        else:
            how = (
                f"In {APP_CONNECTOR_STEPS}, open the App Connector, go to 'GetConnector', click 'Nieuw', tick "
                f"'{connector_id}' and click 'Voltooien' (step 2). Also check in the autorisatietool that the "
                "token's user may use connectors."
            )
        super().__init__(f"The App Connector does not allow '{connector_id}'. {how}", status_code=status_code)
        self.connector_id = connector_id


class IpRestrictedError(AfasError):
    """HTTP 403: the App Connector only accepts calls from other IP addresses."""

    def __init__(self) -> None:
        super().__init__(
            "AFAS refused the call (HTTP 403): the App Connector has an IP restriction that does not include "
            f"this machine's address. Add this machine's public IP address to the App Connector in "
            f"{APP_CONNECTOR_STEPS}, or run from an allowed address.",
            status_code=403,
        )


class NotFoundError(AfasError):
    """HTTP 404: wrong URL (environment code?), a query string that is too long, or a missing file."""


class ConnectorBlockedError(AfasError):
    """AFAS's fair-use policy blocked the GetConnector; an AFAS administrator must unblock it."""

    def __init__(self, connector_id: str, afas_message: str, *, profit_log_reference: str | None = None):
        super().__init__(
            f"AFAS has blocked the GetConnector '{connector_id}' ({afas_message!r}). An AFAS administrator must "
            "unblock the definition in AFAS Online before loads can continue; do not retry until then.",
            status_code=500,
            profit_log_reference=profit_log_reference,
        )
        self.connector_id = connector_id


class UnknownFieldError(AfasError):
    """A filter or sort named a field the connector does not have."""


class ServerError(AfasError):
    """AFAS answered HTTP 500. `retryable` tells whether trying again can help."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        profit_log_reference: str | None = None,
        afas_message: str | None = None,
    ):
        super().__init__(message, status_code=500, profit_log_reference=profit_log_reference)
        self.retryable = retryable
        self.afas_message = afas_message


class OutOfMemoryError(ServerError):
    """AFAS ran out of memory building a page; ask for fewer rows per page (the pager halves it).

    Attributes:
        connector_id: the GetConnector whose page it was, when known.
    """

    def __init__(self, message: str, *, connector_id: str | None = None, **details):
        super().__init__(message, **details)
        self.connector_id = connector_id

    @classmethod
    def even_one_row(cls, cause: "OutOfMemoryError") -> "OutOfMemoryError":
        """Pages of one row failed too: fewer rows cannot help, the connector's rows are too big."""
        name = f"'{cause.connector_id}'" if cause.connector_id else "this GetConnector"
        return cls(
            f"AFAS ran out of memory building a page of a single row of {name}: no page size can help, "
            f"the GetConnector's definition in AFAS makes each row too big to read. Usually a field holding "
            "large text or a file (a memo, a note, an image or attachment field) was added to it. An AFAS "
            f"administrator can open {name} among the GetConnectors in AFAS Online and remove such fields "
            "the pipeline does not need, then run `afas-pipeline doctor` to check that the fields the "
            "catalog needs are still there. If a needed field is the big one, ask AFAS support to look at "
            "the query.",
            connector_id=cause.connector_id,
            retryable=False,
            profit_log_reference=cause.profit_log_reference,
            afas_message=cause.afas_message,
        )


class ServerTimeoutError(ServerError):
    """AFAS stopped the query at its 900 s limit; the query should be sliced finer."""


class MaintenanceError(AfasError):
    """HTTP 503: AFAS Online is in maintenance; `retry_after` seconds come from the body.

    `str()` is the message for loads, which the schedules and sensors run again by themselves;
    `for_command()` the one for a command someone typed, which nothing runs again.
    """

    retryable = True

    def __init__(self, retry_after: float | None, afas_message: str | None = None):
        super().__init__(f"{self._what(retry_after)} Loads resume by themselves once it is over.", status_code=503)
        self.retry_after = retry_after
        self.afas_message = afas_message

    @staticmethod
    def _what(retry_after: float | None) -> str:
        wait = f" AFAS asks to retry after {retry_after:.0f} s." if retry_after is not None else ""
        return f"AFAS Online is in maintenance (HTTP 503).{wait}"

    def for_command(self) -> str:
        when = (f"in about {_duration(self.retry_after)}" if self.retry_after is not None
                else "once the maintenance is over")
        return f"{self._what(self.retry_after)} Nothing was changed; run the command again {when}."


def _duration(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes < 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{minutes / 60:.1f} hours".replace(".0 ", " ")


class TransportError(AfasError):
    """No usable answer: connection refused or reset, time-out, broken response."""

    retryable = True


class ReadTimeoutError(TransportError):
    """AFAS did not answer within the read time-out: the query may still run there, so a retry pauses first."""


class CallSlotsBusyError(AfasError):
    """Every one of an environment's AFAS call slots stayed taken by other loads for the whole wait."""

    def __init__(self, environment: str, capacity: int, waited_s: float, where: str):
        super().__init__(
            f"All {capacity} AFAS call slots of {environment} stayed taken for {waited_s:.0f} s by other loads "
            f"({where}). If a load process is paused or hung, stop it: its slots free when it ends. Otherwise "
            "let fewer runs load this environment at once (the run queue's limit per environment, "
            "deploy/dagster.yaml) or wait longer (AFAS_SLOT_WAIT_S)."
        )


class ResponseFormatError(AfasError):
    """AFAS answered 200 with something that is not the documented JSON."""


class AdministrationVanishedError(AfasError):
    """A load found an administration gone from AFAS while the lake holds its data; nothing was written.

    Gone means: `Visionplanner_administrations` no longer lists it, or it is listed but this token's
    user sees none of its ledger accounts (a real administration always has some). Either way its
    slices would load as 0 rows and replace its data with nothing, so the load refuses until a user
    confirms the removal (`afas-pipeline confirm-removed <environment>-<id>`).

    Attributes:
        environment: the environment's configured name (e.g. o12345).
        administration_id: the administration (AFAS UnitId).
        listed: whether `Visionplanner_administrations` still lists it (then: rights, not deletion).
        name: its company name, when known.
    """

    def __init__(self, environment: str, administration_id: int, *, listed: bool, name: str | None = None):
        what = f"Administration {administration_id}" + (f" '{name}'" if name else "")
        seen = (
            "AFAS still lists it in Visionplanner_administrations, but this token's user sees none of its rows "
            "(not even its ledger accounts)"
            if listed else "AFAS no longer lists it in Visionplanner_administrations"
        )
        super().__init__(
            f"{what} of environment {environment} has vanished from AFAS: {seen}. Its data in the "
            "lake was kept: this load wrote nothing for it and fails until this is resolved. Likely causes: the "
            "administration was deleted in AFAS Online, or the token's user (chosen under App connector → "
            "Gebruikerstokens, seed step 3) lost its rights to it in the autorisatietool. If it should still be "
            f"there, give that user rights to administration {administration_id} again and the next load goes "
            f"on; `afas-pipeline doctor --env {environment}` shows what the token sees. If it is gone for good, "
            f"confirm with `afas-pipeline confirm-removed {environment}-{administration_id}`: that removes its "
            "data from the lake (older lake snapshots keep it for time travel)."
        )
        self.environment = environment
        self.administration_id = administration_id
        self.listed = listed
        self.name = name
