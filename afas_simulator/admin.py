"""The simulator's own control endpoint, under `/_simulator/`, clearly outside the AFAS API.

It needs no AFAS credentials and lets a test or demo in another process do what in-process code
does through `Simulator`: read statistics, script faults, change data, move the clock.

    GET  /_simulator/environments           members (keys: "T12345" for a test environment), codes,
                                            base URLs, demo tokens, OAuth clients
    GET  /_simulator/stats?member=12345     statistics (all environments without `member`;
                                            `log=0` leaves out the request log)
    POST /_simulator/stats/reset            {"member": "12345"} or {} for all
    GET  /_simulator/faults                 scripted faults not used up yet
    POST /_simulator/faults                 {"kind": "503", "times": 1, "retry_after": 1, "connector": …}
    POST /_simulator/faults/clear           drop all scripted faults
    POST /_simulator/scenario               {"member": "12345", "op": "delete_entry", "args": {…}}
    GET  /_simulator/clock                  {"now": "…"}
    POST /_simulator/clock                  {"seconds": 3600} moves the clock forward
    GET  /_simulator/realism                the knobs
    POST /_simulator/realism                {"latency_per_request_s": 0.2, …} changes them

Answers are JSON; a bad request answers 400 `{"error": "…"}`, an unknown member or path 404.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import urllib.parse
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson

from afas_simulator.faults import ScriptedFault
from afas_simulator.messages import Reply, Request, json_reply

if TYPE_CHECKING:
    from afas_simulator.simulator import Simulator

PREFIX = "_simulator"


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class AdminApi:
    """Answers `/_simulator/…` requests.

    Args:
        sim: the simulator it controls.
    """

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim

    def handle(self, request: Request, segments: list[str]) -> Reply:
        """Answer one admin request; never raises.

        Args:
            request: the request.
            segments: decoded path segments after `_simulator/`.
        """
        route = (request.method, "/".join(s.lower() for s in segments))
        handler = {
            ("GET", "environments"): self._environments,
            ("GET", "stats"): self._stats,
            ("POST", "stats/reset"): self._stats_reset,
            ("GET", "faults"): self._faults,
            ("POST", "faults"): self._script_fault,
            ("POST", "faults/clear"): self._clear_faults,
            ("DELETE", "faults"): self._clear_faults,
            ("POST", "scenario"): self._scenario,
            ("GET", "clock"): self._clock,
            ("POST", "clock"): self._advance_clock,
            ("GET", "realism"): self._realism,
            ("POST", "realism"): self._set_realism,
        }.get(route)
        if handler is None:
            return json_reply({"error": f"no admin endpoint {request.method} /{PREFIX}/{route[1]}"}, 404)
        try:
            return json_reply(_plain(handler(request)))
        except _BadRequest as error:
            return json_reply({"error": str(error)}, error.status)
        except (TypeError, ValueError, KeyError, LookupError) as error:
            return json_reply({"error": f"{type(error).__name__}: {error}"}, 400)

    # ---- handlers -------------------------------------------------------------------------------

    def _environments(self, request: Request) -> Any:
        sim = self._sim
        return [
            {
                "member": m,
                "code": sim.environment(m).spec.code,
                "base_url": sim.base_url(m),
                "token_xml": sim.token_xml(m),
                "oauth_clients": [dataclasses.asdict(c) for c in sim.environment(m).spec.oauth_clients],
                "administrations": sim.environment(m).data.administrations(),
            }
            for m in sim.members()
        ]

    def _stats(self, request: Request) -> Any:
        params = dict(urllib.parse.parse_qsl(request.query))
        member = params.get("member")
        if member is not None:
            self._member(member)
        snapshot = self._sim.stats.snapshot(member)
        if params.get("log") == "0":
            for env_stats in [snapshot] if member is not None else snapshot.values():
                env_stats.pop("requests", None)
        return snapshot

    def _stats_reset(self, request: Request) -> Any:
        member = _json(request).get("member")
        self._sim.stats.reset(member)
        return {"reset": member or "all"}

    def _faults(self, request: Request) -> Any:
        return [dataclasses.asdict(f) for f in self._sim.faults.pending()]

    def _script_fault(self, request: Request) -> Any:
        spec = _json(request)
        known = {f.name for f in dataclasses.fields(ScriptedFault)}
        unknown = set(spec) - known
        if unknown:
            raise _BadRequest(f"unknown fault settings {sorted(unknown)}; expected {sorted(known)}")
        if "kind" not in spec:
            raise _BadRequest("a fault needs a kind")
        kind = str(spec.pop("kind"))
        times = spec.pop("times", 1)
        return dataclasses.asdict(self._sim.faults.script(kind, times, **spec))

    def _clear_faults(self, request: Request) -> Any:
        self._sim.faults.clear()
        return {"cleared": True}

    def _scenario(self, request: Request) -> Any:
        spec = _json(request)
        member, op, args = spec.get("member"), spec.get("op"), spec.get("args", {})
        if not isinstance(member, str) or not isinstance(op, str) or not isinstance(args, dict):
            raise _BadRequest('expected {"member": "12345", "op": "delete_entry", "args": {…}}')
        self._member(member)
        return {"result": self._sim.scenario(member, op, **args)}

    def _clock(self, request: Request) -> Any:
        return {"now": self._sim.clock.now().isoformat()}

    def _advance_clock(self, request: Request) -> Any:
        seconds = _json(request).get("seconds")
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise _BadRequest('expected {"seconds": <number >= 0>}')
        return {"now": self._sim.advance_clock(seconds).isoformat()}

    def _realism(self, request: Request) -> Any:
        return dataclasses.asdict(self._sim.faults.realism)

    def _set_realism(self, request: Request) -> Any:
        changes = _json(request)
        realism = self._sim.faults.realism
        known = {f.name for f in dataclasses.fields(realism)}
        unknown = set(changes) - known
        if unknown:
            raise _BadRequest(f"unknown realism settings {sorted(unknown)}; expected {sorted(known)}")
        for name, value in changes.items():
            setattr(realism, name, value)
        return dataclasses.asdict(realism)

    def _member(self, member: str) -> None:
        if self._sim.find_environment(member) is None:
            raise _BadRequest(f"no environment {member!r}", 404)


def _json(request: Request) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    try:
        value = orjson.loads(request.body)
    except orjson.JSONDecodeError as error:
        raise _BadRequest(f"body is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise _BadRequest("body must be a JSON object")
    return value


def _plain(value: Any) -> Any:
    """Make ledger results JSON-ready (Decimal → string, dates → ISO, tuples → lists)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value
