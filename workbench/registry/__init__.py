"""The model registry: immutable versions with their evidence, aliases and their history.

Verbs: :func:`workbench.registry.register.register`, and reading through
:mod:`workbench.registry.versions` (``get_version``, ``list_models``, ``load_model``).
"""
