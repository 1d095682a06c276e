"""After the decision: decision logs read back, outcomes (ground truth), realized performance.

The public surface: :func:`add_outcomes` (``workbench outcomes add``, ``wb.outcomes.add``),
:func:`current_outcomes` and :func:`load_decisions`. Modules are imported lazily by
their callers; nothing here runs at import time.
"""

from __future__ import annotations

from workbench.postmarket.decisions import current_outcomes, load_decisions
from workbench.postmarket.outcomes import OutcomesAdded, add_outcomes

__all__ = ["OutcomesAdded", "add_outcomes", "current_outcomes", "load_decisions"]
