"""Talking to AFAS Online: credentials, metainfo, ordered and sliced paging, typed rows, errors.

No Dagster and no DuckDB in here: this package is usable on its own. Names are imported lazily, so
`import catalog` (what the simulator uses) does not load the HTTP client.
"""

import importlib

_EXPORTS = {
    "AfasClient": "afas.client", "Document": "afas.client", "FetchResult": "afas.client",
    "slice_filter": "afas.client", "Connection": "afas.connection", "AppConnectorToken": "afas.credentials",
    "EnvironmentCode": "afas.credentials", "EnvironmentType": "afas.credentials", "Secret": "afas.credentials",
    "AfasError": "afas.errors", "Condition": "afas.filters", "Filter": "afas.filters", "Op": "afas.filters",
    "ClientSettings": "afas.settings", "CONNECTORS": "catalog", "REQUIRED_CONNECTOR_IDS": "catalog",
    "SUBJECT_CONNECTOR": "catalog", "Connector": "catalog", "connector": "catalog",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'afas' has no attribute {name!r}")
