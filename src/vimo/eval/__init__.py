"""Evaluation: metrics and benchmark suites."""
