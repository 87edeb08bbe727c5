"""Side-by-side measurements: each bench_*.py module's `run()` returns rows for docs/benchmarks.md."""
