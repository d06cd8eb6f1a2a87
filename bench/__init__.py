"""Benchmarks that start the app as production runs it (`make bench-*`)."""
