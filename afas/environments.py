"""Where configured AFAS environments live: a settings file plus owner-only secret files.

An accountancy firm has one AFAS environment per client, so environments are named and kept side
by side. Settings go to `$AFAS_PIPELINE_HOME/environments.json` (default `~/.config/afas-pipeline`,
outside any git checkout); each token or client secret goes to its own file under `secrets/` with
mode 0600 in a 0700 folder. Environment variables can define one more environment without files:
`AFAS_ENVIRONMENT_CODE` with `AFAS_TOKEN` (or `AFAS_CLIENT_ID` + `AFAS_CLIENT_SECRET`), optionally
`AFAS_ENVIRONMENT_TYPE`, `AFAS_BASE_URL` and `AFAS_ENVIRONMENT_NAME`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from afas.atomic_files import remove_stale_temporaries, write_atomically
from afas.connection import Connection
from afas.errors import ConfigurationError
from catalog.redaction import looks_like_secret, shown

HOME_VARIABLE = "AFAS_PIPELINE_HOME"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class EnvironmentEntry:
    """A configured environment, without its secret.

    Attributes:
        name: unique readable name (lower case, digits, `_`, `-`); part of partition keys.
        environment_code: as the user typed it (e.g. O12345AA).
        env_type: production/test/accept when the code is plain digits.
        base_url: an override of the official REST URL (the simulator, a proxy), or None.
        auth: "token" or "oauth".
        client_id: the OAuth client id (not secret) when auth is "oauth".
    """

    name: str
    environment_code: str
    env_type: str | None = None
    base_url: str | None = None
    auth: str = "token"
    client_id: str | None = None

    def connection(self, secret: str) -> Connection:
        if self.auth == "oauth":
            return Connection.from_oauth(
                self.environment_code, self.client_id or "", secret,
                env_type=self.env_type, base_url=self.base_url, name=self.name,
            )
        return Connection.from_token(
            self.environment_code, secret, env_type=self.env_type, base_url=self.base_url, name=self.name
        )


def check_name(name: str) -> str:
    # Not repeated: whatever fails this pattern may be a token pasted into the wrong field.
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigurationError(
            "That environment name is not allowed: use 1-40 lower-case letters, digits, '_' or '-' "
            "(the name given is not repeated here in case it holds a secret)."
        )
    return name


def check_home(home: Path) -> Path:
    """The store's folder, unless its name looks like a secret (a token pasted as AFAS_PIPELINE_HOME
    or --home would become a folder name, and then be shown in every path)."""
    if looks_like_secret(str(home)):
        raise ConfigurationError(
            f"The settings folder ({HOME_VARIABLE} or --home) looks like a token or password, not a folder: "
            "give a folder such as ~/.config/afas-pipeline (the value is not repeated here)."
        )
    return home


class EnvironmentStore:
    """Reads and writes configured environments and their secrets."""

    def __init__(self, home: Path | None = None, environ: Mapping[str, str] | None = None):
        self.environ = os.environ if environ is None else environ
        default = Path.home() / ".config" / "afas-pipeline"
        self.home = check_home(Path(home or self.environ.get(HOME_VARIABLE) or default))

    @property
    def settings_file(self) -> Path:
        return self.home / "environments.json"

    def _secret_file(self, name: str) -> Path:
        return self.home / "secrets" / check_name(name)

    def entries(self) -> list[EnvironmentEntry]:
        """Configured environments: the settings file's, then the one from environment variables."""
        entries = []
        self._remove_stale_temporaries()
        if self.settings_file.exists():
            try:
                raw = json.loads(self.settings_file.read_text("utf-8"))
                entries = [EnvironmentEntry(**e) for e in raw.get("environments", [])]
            except (ValueError, TypeError) as exc:
                raise ConfigurationError(f"{self.settings_file} is not valid: {exc}") from None
        from_env = self._entry_from_variables()
        if from_env is not None and all(e.name != from_env.name for e in entries):
            entries.append(from_env)
        return entries

    def connections(self, names: list[str] | None = None) -> list[Connection]:
        """Connections for the named environments (all when None), secrets loaded."""
        chosen = self.entries()
        if names:
            known = {e.name for e in chosen}
            unknown = [n for n in names if n not in known]
            if unknown:
                raise ConfigurationError(
                    f"Unknown environment(s) {', '.join(shown(n, _NAME) for n in unknown)}; "
                    f"configured: {', '.join(sorted(known)) or 'none'}. "
                    "Add one with `afas-pipeline connect`."
                )
            chosen = [e for e in chosen if e.name in names]
        return [e.connection(self.secret(e.name)) for e in chosen]

    def secret(self, name: str) -> str:
        from_env = self._entry_from_variables()
        if from_env is not None and from_env.name == name and not self._secret_file(name).exists():
            return self.environ.get("AFAS_TOKEN") or self.environ.get("AFAS_CLIENT_SECRET") or ""
        path = self._secret_file(name)
        if not path.exists():
            raise ConfigurationError(
                f"No secret stored for environment {name!r}; run `afas-pipeline connect` for it again."
            )
        return path.read_text("utf-8").strip()

    def save(self, entry: EnvironmentEntry, secret: str) -> None:
        """Add or replace an environment; the secret goes to an owner-only file."""
        check_name(entry.name)
        secrets = self.home / "secrets"
        secrets.mkdir(parents=True, exist_ok=True)
        os.chmod(self.home, 0o700)
        os.chmod(secrets, 0o700)
        # Exactly 0600 even when it replaces a file someone made readable (0644) by hand.
        write_atomically(self._secret_file(entry.name), secret.encode("utf-8"), mode=0o600)
        others = [e for e in self._file_entries() if e.name != entry.name]
        self._write([*others, entry])

    def remove(self, name: str) -> bool:
        check_name(name)
        entries = self._file_entries()
        kept = [e for e in entries if e.name != name]
        self._write(kept)
        path = self._secret_file(name)
        if path.exists():
            path.unlink()
        return len(kept) != len(entries)

    def _file_entries(self) -> list[EnvironmentEntry]:
        if not self.settings_file.exists():
            return []
        raw = json.loads(self.settings_file.read_text("utf-8"))
        return [EnvironmentEntry(**e) for e in raw.get("environments", [])]

    def _write(self, entries: list[EnvironmentEntry]) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"environments": [asdict(e) for e in entries]}, indent=2) + "\n"
        write_atomically(self.settings_file, text.encode("utf-8"))

    def _remove_stale_temporaries(self) -> None:
        """Temporary files of writes that were killed; `<name>.tmp` is what versions before
        `atomic_files` used (never a valid environment name, so never a real secret file)."""
        remove_stale_temporaries(self.home, self.settings_file.name, legacy=("environments.tmp",))
        secrets = self.home / "secrets"
        legacy = tuple(n for n in _names_in(secrets) if n.endswith(".tmp"))
        remove_stale_temporaries(secrets, legacy=legacy)

    def _entry_from_variables(self) -> EnvironmentEntry | None:
        code = self.environ.get("AFAS_ENVIRONMENT_CODE")
        if not code:
            return None
        oauth = bool(self.environ.get("AFAS_CLIENT_ID"))
        # Parsed even with a name given: the code is listed and logged, so it must be a code (a
        # token pasted here fails with a message that does not repeat it).
        parsed = _parse_code(code, self.environ.get("AFAS_ENVIRONMENT_TYPE"))
        name = self.environ.get("AFAS_ENVIRONMENT_NAME") or parsed.key.lower()
        return EnvironmentEntry(
            name=check_name(name),
            environment_code=parsed.text,
            env_type=self.environ.get("AFAS_ENVIRONMENT_TYPE"),
            base_url=self.environ.get("AFAS_BASE_URL"),
            auth="oauth" if oauth else "token",
            client_id=self.environ.get("AFAS_CLIENT_ID"),
        )


def _parse_code(code: str, env_type: str | None):
    from afas.credentials import EnvironmentCode

    return EnvironmentCode.parse(code, env_type)


def _names_in(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []
