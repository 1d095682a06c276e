"""Helpers shared by tests, imported like any module (never from a conftest)."""
