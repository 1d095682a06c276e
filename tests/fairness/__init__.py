"""Tests for workbench.fairness."""
