"""Load every asset for every administration and period, through Dagster.

Used by `make demo` (and handy after connecting a new environment): one run for the administrations,
whose rows become partitions, one run with every administration's master data and open items, and
per administration one run over all its periods — the same shape a UI backfill takes.

Two ways to run them: launched through the code location like any run the UI starts (`launched=True`,
what the demo does, so its runs show on the job pages and the timeline; see `pipelines.launch`), or
in this process (`execute_in_process`: tests and benchmarks, which need no run processes).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

import dagster as dg

from pipelines.launch import Finished, launcher, run_failure, run_rows
from assets.partitions import (
    ADMINISTRATION_PARTITIONS_NAME,
    AdministrationRef,
    add_partitions,
    history_range_tags,
    period_keys,
    range_tags,
)

_QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
#: Runs in flight at once when launched: each is its own process; the machine's cores bound it.
LAUNCHED_AT_ONCE = 2

#: (job name, run tags, what the run is, for the progress line)
Planned = tuple[str, dict[str, str], str]
RunMany = Callable[[Sequence[Planned]], Iterator[tuple[Planned, Finished]]]


class LoadFailed(Exception):
    """A run of the full load failed; its message says which and why."""


def _describe(totals: dict[str, int]) -> str:
    return ", ".join(f"{name} {rows:,}" for name, rows in sorted(totals.items())) or "nothing"


@contextlib.contextmanager
def _in_process(instance: dg.DagsterInstance) -> Iterator[RunMany]:
    from pipelines.definitions import defs

    def run_many(planned: Sequence[Planned]) -> Iterator[tuple[Planned, Finished]]:
        for plan in planned:
            job, tags, _ = plan
            result = defs().resolve_job_def(job).execute_in_process(instance=instance, run_config=_QUIET, tags=tags,
                                                                  raise_on_error=False)
            yield plan, Finished(result.run_id, result.success, run_rows(instance, result.run_id),
                                 None if result.success else run_failure(instance, result.run_id))

    yield run_many


@contextlib.contextmanager
def _launched(instance: dg.DagsterInstance) -> Iterator[RunMany]:
    with launcher(instance) as runs:
        def run_many(planned: Sequence[Planned]) -> Iterator[tuple[Planned, Finished]]:
            waiting = list(planned)
            in_flight: list[tuple[Planned, str]] = []
            while waiting or in_flight:
                while waiting and len(in_flight) < LAUNCHED_AT_ONCE:
                    plan = waiting.pop(0)
                    in_flight.append((plan, runs.submit(plan[0], plan[1])))
                plan, run_id = in_flight.pop(0)
                yield plan, runs.wait(run_id)

        yield run_many


def load_everything(
    instance: dg.DagsterInstance | None = None, *, progress: Callable[[str], None] = print, launched: bool = False
) -> None:
    """Materialize every AFAS asset for all configured environments, administrations and periods.

    Raises:
        LoadFailed: a run failed (the runs after it still ran; their data is in).
    """
    from assets.resources import WarehouseResource
    from pipelines.sensors import new_administration_keys

    instance = instance or dg.DagsterInstance.get()
    failed: list[str] = []

    def report(finished: Iterator[tuple[Planned, Finished]]) -> None:
        for (_, _, what), outcome in finished:
            if outcome.success:
                progress(f"{what}: {_describe(dict(outcome.rows))}")
            else:
                progress(f"{what}: FAILED (run {outcome.run_id}): {outcome.error}")
                failed.append(what)

    with (_launched if launched else _in_process)(instance) as run_many:
        report(run_many([("administrations_job", {}, "administrations")]))
        add_partitions(instance, new_administration_keys(instance, WarehouseResource.from_environment()))
        keys = instance.get_dynamic_partitions(ADMINISTRATION_PARTITIONS_NAME)
        if not keys:
            raise LoadFailed("no administrations were loaded: nothing else to load (see the administrations run)")
        progress(f"administration partitions: {', '.join(keys)}")
        periods = period_keys()
        planned: list[Planned] = [(
            "administration_assets_job", range_tags(keys[0], keys[-1]),
            f"master data and open items of {len(keys)} administrations",
        )]
        planned += [
            ("period_assets_job", history_range_tags(AdministrationRef.parse(key)),
             f"{key}: {len(periods)} periods ({periods[0]} .. {periods[-1]})")
            for key in keys
        ]
        report(run_many(planned))
    if failed:
        raise LoadFailed(f"{len(failed)} run(s) failed: {', '.join(failed)}; the UI shows why on each run's page")
