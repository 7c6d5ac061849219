"""The pipeline's data folder (`AFAS_DATA_DIR`, default `data`), without importing Dagster.

The command line's read-only `sql` needs it too, and should start in a second, not in three.
"""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    return Path(os.environ.get("AFAS_DATA_DIR") or "data")
