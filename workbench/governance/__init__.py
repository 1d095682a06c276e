"""Governance: policies, checks, named approvals, and the promotion gate.

The gate (:func:`workbench.governance.gate.promote`) is the only code that moves an
alias a policy protects.
"""
