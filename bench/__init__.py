"""Benchmark harness: our Tomorro connectors against their peers, on the local sandbox.

Run `python -m bench --help` (or `make bench`); see BENCHMARKS.md at the repository root.
"""
