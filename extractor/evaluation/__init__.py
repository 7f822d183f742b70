"""Scoring runs against gold, comparing runs, suites."""
