"""Side-by-side measurements; each bench_*.py exposes run() -> list[dict]."""
