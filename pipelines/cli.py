"""`afas-pipeline`: the project's command line.

    afas-pipeline connect O12345AA            # token from a no-echo prompt, verified, then saved
    afas-pipeline connect O12345AA --token-stdin < token.txt
    afas-pipeline connect O12345AA --token-env MY_AFAS_TOKEN --name klant-bakker
    afas-pipeline connect O12345AA --oauth --client-id ID   # secret from prompt/stdin/env
    afas-pipeline doctor [--env NAME ...]     # non-zero exit on any problem
    afas-pipeline environments                # list configured environments
    afas-pipeline disconnect NAME
    afas-pipeline document --env o12345 SUBJECT_ID FILE_ID [--out DIR]   # one attachment, saved by name
    afas-pipeline sql ["SELECT …"] [--out FILE.xlsx] [--as-of TIME]      # read-only SQL on the warehouse
    afas-pipeline confirm-removed o12345-3    # an administration gone from AFAS: remove its data from the lake
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from afas.client import AfasClient
from afas.connection import Connection
from afas.credentials import EnvironmentCode
from afas.doctor import Report, Status, diagnose
from afas.documents import fetch_document
from afas.errors import AfasError
from pipelines import backfill_command, confirm_command, sql_command
from catalog.redaction import looks_like_secret, masked
from afas.environments import EnvironmentEntry, EnvironmentStore, check_name

_MARK = {Status.OK: "ok  ", Status.WARN: "warn", Status.FAIL: "FAIL"}
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    stdin = stdin or sys.stdin
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        store = EnvironmentStore(Path(args.home) if args.home else None)
        if args.command == "doctor":
            return _doctor(store, args.env, out)
        if args.command == "connect":
            return _connect(store, args, stdin, out)
        if args.command == "environments":
            return _list(store, out)
        if args.command == "document":
            return _document(store, args, out)
        if args.command == "sql":
            return sql_command.run(args, out)
        if args.command == "backfill":
            return backfill_command.run(args, out)
        if args.command == "confirm-removed":
            return confirm_command.run(args, store, out)
        if args.command == "disconnect":
            removed = store.remove(args.name)  # refuses a name that is not one (and so never repeats it)
            print(f"removed {args.name}" if removed else f"{args.name} was not configured", file=out)
            return 0 if removed else 1
    except AfasError as exc:
        print(f"error: {exc.for_command()}", file=out)
        return 2
    parser.print_help(out)
    return 2


class _Parser(argparse.ArgumentParser):
    """argparse repeats what it could not use ("unrecognized arguments: …", "invalid int value: …"),
    and a token typed after `connect O12345AA` is just such an argument: those words are masked."""

    def error(self, message: str):
        super().error(masked(message))


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number (the value is not repeated here)") from None


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="afas-pipeline", description="AFAS Online → DuckDB pipeline")
    parser.add_argument("--home", help="settings folder (default $AFAS_PIPELINE_HOME or ~/.config/afas-pipeline)")
    sub = parser.add_subparsers(dest="command")

    doctor = sub.add_parser("doctor", help="check token, connectors, fields and administrations")
    doctor.add_argument("--env", action="append", help="only this environment (repeatable)")

    connect = sub.add_parser("connect", help="add or change an environment (verified before it is saved)")
    connect.add_argument("environment_code", help="omgevingscode, e.g. O12345AA (AFAS shows it in the top bar)")
    connect.add_argument("--type", dest="env_type", help="production/test/accept when the code is plain digits")
    connect.add_argument("--name", help="readable name (default: type letter + member number, e.g. o12345)")
    connect.add_argument("--base-url", help="override the REST URL (simulator, proxy)")
    source = connect.add_mutually_exclusive_group()
    source.add_argument("--token-stdin", action="store_true", help="read the token/secret from standard input")
    source.add_argument("--token-env", metavar="VAR", help="read the token/secret from this environment variable")
    connect.add_argument("--oauth", action="store_true", help="use OAuth client credentials instead of a token")
    connect.add_argument("--client-id", help="OAuth client id (with --oauth)")

    sub.add_parser("environments", help="list configured environments")
    document = sub.add_parser("document", help="download one dossier-item attachment (AppConnectorSubject)")
    document.add_argument("subject_id", type=_whole_number, help="the dossier item (subject_id in dossier_items)")
    document.add_argument("file_id", help="the attachment (file_id in dossier_items)")
    document.add_argument("--env", required=True, help="the environment name")
    document.add_argument("--out", default="documents", help="folder to save into (default ./documents)")

    disconnect = sub.add_parser("disconnect", help="forget an environment and its secret")
    disconnect.add_argument("name")
    sql_command.add_parser(sub)
    backfill_command.add_parser(sub)
    confirm_command.add_parser(sub)
    return parser


def _read_secret(args: argparse.Namespace, stdin: TextIO) -> str:
    what = "OAuth client secret" if args.oauth else "AFAS token (the whole <token>…</token>, or its data part)"
    if args.token_stdin:
        return stdin.read().strip()
    if args.token_env:
        if looks_like_secret(args.token_env) or not _VARIABLE.fullmatch(args.token_env):
            # The token itself given where the variable's name belongs: say so, never repeat it.
            raise SystemExit("error: --token-env takes the NAME of an environment variable that holds the "
                             "token (e.g. --token-env MY_AFAS_TOKEN), and what was given is not one; it is not "
                             "repeated here in case it is the token. To paste the token, use --token-stdin.")
        value = os.environ.get(args.token_env)
        if not value:
            raise SystemExit(f"error: environment variable {args.token_env} is empty or not set")
        return value
    if not stdin.isatty():
        raise SystemExit("error: no terminal to prompt on; use --token-stdin or --token-env")
    return getpass.getpass(f"{what}: ")


def _connect(store: EnvironmentStore, args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    code = EnvironmentCode.parse(args.environment_code, args.env_type)
    name = check_name(args.name or code.key.lower())
    if args.oauth and not args.client_id:
        raise SystemExit("error: --oauth needs --client-id")
    secret = _read_secret(args, stdin)
    entry = EnvironmentEntry(
        name=name,
        environment_code=code.text,
        env_type=args.env_type,
        base_url=args.base_url,
        auth="oauth" if args.oauth else "token",
        client_id=args.client_id,
    )
    connection = entry.connection(secret)
    with AfasClient(connection) as client:
        version = client.profit_version()
        info = client.app_info()
    store.save(entry, secret)
    print(
        f"connected {name}: {connection.base_url} (AFAS Profit {version}, App Connector '{info.app_name or '?'}', "
        f"{len(info.get_connectors)} GetConnectors). Saved; run `afas-pipeline doctor --env {name}` for a full check.",
        file=out,
    )
    return 0


def _document(store: EnvironmentStore, args: argparse.Namespace, out: TextIO) -> int:
    (connection,) = store.connections([args.env])
    with AfasClient(connection) as client:
        path = fetch_document(client, args.subject_id, args.file_id, Path(args.out))
    print(f"saved {path}", file=out)
    return 0


def _list(store: EnvironmentStore, out: TextIO) -> int:
    entries = store.entries()
    if not entries:
        print("no environments configured; add one with `afas-pipeline connect O12345AA`", file=out)
        return 1
    for e in entries:
        # Parsed before it is shown: a settings file edited by hand may hold anything in this field.
        code = EnvironmentCode.parse(e.environment_code, e.env_type)
        print(f"{e.name:20} {code.text:12} {e.auth:6} {e.base_url or code.base_url}", file=out)
    return 0


def _doctor(store: EnvironmentStore, names: list[str] | None, out: TextIO) -> int:
    connections = store.connections(names)
    if not connections:
        print("no environments configured; add one with `afas-pipeline connect O12345AA`", file=out)
        return 1
    held = _held_in_lake(out)
    healthy = True
    for connection in connections:
        report = check(connection, {admin: t for (env, admin), t in held.items() if env == connection.name})
        print_report(report, connection, out)
        healthy = healthy and report.ok
    return 0 if healthy else 1


def check(connection: Connection, held: dict | None = None) -> Report:
    with AfasClient(connection) as client:
        return diagnose(client, held=held)


def _held_in_lake(out: TextIO) -> dict:
    """(environment, administration) → last loaded, of the administrations the lake holds rows of, so
    that doctor can tell which of them vanished from AFAS; empty when there is no lake (yet)."""
    import duckdb

    from settings import Settings
    from warehouse import Warehouse
    from warehouse.errors import WarehouseError
    from warehouse.lookups import held_administrations

    settings = Settings.from_environment().lake()
    if settings.sqlite_path is not None and not settings.sqlite_path.exists():
        return {}  # nothing loaded yet
    try:
        return held_administrations(Warehouse(settings, read_only=True))
    except (WarehouseError, duckdb.Error) as exc:
        print(f"note: the lake could not be read ({exc}); vanished administrations are not checked", file=out)
    return {}


def print_report(report: Report, connection: Connection, out: TextIO) -> None:
    print(f"\n== {report.environment} ({connection.environment.text}, {connection.base_url})", file=out)
    for c in report.checks:
        line = f"  [{_MARK[c.status]}] {c.name}"
        if c.detail:
            line += f": {c.detail}"
        print(line, file=out)
        if c.fix and c.status is not Status.OK:
            print(f"         fix: {c.fix}", file=out)
    for admin_id, admin_name in report.administrations:
        print(f"         administration {admin_id}: {admin_name}", file=out)
    verdict = "healthy" if report.ok else "PROBLEMS FOUND"
    print(f"  => {report.environment}: {verdict}", file=out)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
