"""Benchmarks with targets: ``python -m benchmarks`` prints the table and writes results.json."""
