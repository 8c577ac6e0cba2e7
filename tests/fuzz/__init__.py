"""Mutation fuzzing of the CLI against the fixtures: `python -m tests.fuzz.run` (see README.md)."""
