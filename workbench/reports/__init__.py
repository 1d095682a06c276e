"""Reports: the self-contained HTML audit report of a model version."""
