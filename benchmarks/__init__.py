"""Benchmarks of the pipeline against the simulator, a raw download, DuckDB's reader and dlt.

Run them all with `make bench` (or `python -m benchmarks`); see benchmarks/README.md.
"""
