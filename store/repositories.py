"""The SQL repositories the dialogs use; each method opens its own session and transaction.

The classes live in one module per concept (`repo_cadres`, `repo_pairings`, `repo_students_read`,
`repo_employment`); import them from here.
"""

from __future__ import annotations

from store.repo_cadres import CadreRepository
from store.repo_employment import EmploymentRepository
from store.repo_pairings import SUMMARY_HAS_OFFER, SUMMARY_NO_OFFER, SUMMARY_SIGNED, PairingRepository
from store.repo_students_read import StudentRepository

__all__ = [
    "SUMMARY_HAS_OFFER",
    "SUMMARY_NO_OFFER",
    "SUMMARY_SIGNED",
    "CadreRepository",
    "EmploymentRepository",
    "PairingRepository",
    "StudentRepository",
]
