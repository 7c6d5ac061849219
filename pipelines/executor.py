"""Where a run's steps execute: in processes of the run's own machine, or on Celery workers.

`AFAS_EXECUTOR` picks it when the code location loads (Dagster fixes a job's executor then):
- `multiprocess` (default): Dagster's default executor, steps in child processes of the run worker
  (as `make demo` and `make ui` run).
- `celery`: each step is a Celery task that any worker on any machine may take
  (`dagster-celery worker start -A dagster_celery.app -y deploy/celery.yaml`); broker and result
  backend from `AFAS_CELERY_BROKER` / `AFAS_CELERY_BACKEND`, read by each machine itself.
Every worker writes the shared lake and keeps AFAS's cap through the shared call slots
(`AFAS_CALL_SLOTS`, by default the lake's PostgreSQL): nothing but the lake's data path is shared.
"""

from __future__ import annotations

import dagster as dg

from settings import Settings


def step_executor(settings: Settings) -> dg.ExecutorDefinition:
    """The executor `settings.executor` names (validated when the settings were read)."""
    if settings.executor == "celery":
        from dagster_celery import celery_executor

        return celery_executor.configured(
            {"broker": {"env": "AFAS_CELERY_BROKER"}, "backend": {"env": "AFAS_CELERY_BACKEND"}},
            name="celery",
        )
    return dg.multi_or_in_process_executor
