"""Talking to AFAS Online: credentials, metainfo, ordered and sliced paging, typed rows, errors.

No Dagster and no DuckDB in here: this package is usable on its own.
"""

from afas.catalog import CONNECTORS, REQUIRED_CONNECTOR_IDS, SUBJECT_CONNECTOR, Connector, connector
from afas.client import AfasClient, Document, FetchResult, slice_filter
from afas.connection import Connection
from afas.credentials import AppConnectorToken, EnvironmentCode, EnvironmentType, Secret
from afas.errors import AfasError
from afas.filters import Condition, Filter, Op
from afas.settings import ClientSettings

__all__ = [
    "AfasClient", "AfasError", "AppConnectorToken", "CONNECTORS", "ClientSettings", "Condition", "Connection",
    "Connector", "Document", "EnvironmentCode", "EnvironmentType", "FetchResult", "Filter", "Op",
    "REQUIRED_CONNECTOR_IDS", "SUBJECT_CONNECTOR", "Secret", "connector", "slice_filter",
]
