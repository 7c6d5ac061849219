"""Talking to AFAS Online: credentials, metainfo, ordered and sliced paging, typed rows, errors.

No Dagster and no DuckDB in here: this package is usable on its own. Import what you use from its
modules (`afas.client.AfasClient`, `afas.connection.Connection`, `afas.errors`, …): importing the
package itself loads nothing, so the simulator and the command line start fast.
"""
