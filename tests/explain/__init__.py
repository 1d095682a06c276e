"""Tests for workbench.explain."""
