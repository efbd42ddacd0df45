"""Benchmarks of timeline, side by side with the eventsourcing package. Run ``nox -s bench``."""
