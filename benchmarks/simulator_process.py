"""The simulator in its own process, so its CPU time never competes with the side being measured.

The simulator is single-threaded Python per request thread; sharing a process (and its GIL) with the
pipeline would slow both, and the pipeline more than a bytes-only download. A separate process is
also what AFAS is: somebody else's machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True)
class ServedEnvironment:
    member: str
    code: str
    base_url: str
    token_xml: str
    administrations: list


class SimulatorProcess:
    """`python -m afas_simulator --port 0 …` as a context manager.

    Args:
        args: extra command-line options of the simulator (data size, latency, big slices).

    The simulator starts from its fast profile (AFAS's limits, no waiting, no random faults): a
    benchmark sets the latency it measures and nothing else varies between runs.
    """

    def __init__(self, *args: str) -> None:
        self._args = ["--port", "0", "--profile", "fast", "--environments", "1", *args]
        self._proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> SimulatorProcess:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "afas_simulator", *self._args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._proc.stdout is not None
        first = self._proc.stdout.readline()
        if " on http" not in first:
            self._proc.kill()
            raise RuntimeError(f"the simulator did not start: {first!r}")
        self.url = first.split(" on ", 1)[1].split()[0]
        # The rest of its output (tokens) is not needed: drain nothing, read the admin endpoint instead.
        self._admin = httpx.Client(base_url=f"{self.url}/_simulator", timeout=600)
        return self

    def __exit__(self, *exc: object) -> None:
        self._admin.close()
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()

    def cpu_seconds(self) -> float:
        """CPU time the simulator's process has used so far (user + system), from /proc."""
        assert self._proc is not None
        fields = Path(f"/proc/{self._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def environment(self) -> ServedEnvironment:
        (env,) = self.environments()
        return env

    def environments(self) -> list[ServedEnvironment]:
        return [ServedEnvironment(e["member"], e["code"], e["base_url"], e["token_xml"], e["administrations"])
                for e in self._get("environments")]

    def all_counts(self) -> dict[str, int]:
        """Requests answered so far, per environment (member)."""
        stats = self._get("stats", log="0")
        return {member: sum(s["counts"].values()) for member, s in stats.items()}

    def set_realism(self, **changes: object) -> None:
        self._post("realism", changes)

    def reset_stats(self) -> None:
        self._post("stats/reset", {})

    def requests(self, member: str) -> list[dict]:
        """The request log (oldest first)."""
        return self._get("stats", member=member)["requests"]

    def counts(self, member: str) -> dict:
        return self._get("stats", member=member, log="0")

    def scenario(self, member: str, op: str, **args: object) -> object:
        return self._post("scenario", {"member": member, "op": op, "args": args})["result"]

    def _get(self, path: str, **params: str) -> object:
        reply = self._admin.get(path, params=params)
        reply.raise_for_status()
        return reply.json()

    def _post(self, path: str, body: dict) -> dict:
        reply = self._admin.post(path, content=json.dumps(body))
        reply.raise_for_status()
        return reply.json()

