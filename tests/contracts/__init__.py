"""Tests for workbench.contracts."""
