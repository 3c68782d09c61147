"""The SQL repositories the dialogs use; each method opens its own session and transaction.

The classes live in one module per concept (`repo_cadres`, `repo_pairings`); import them from here.
"""

from __future__ import annotations

from store.repo_cadres import CadreRepository
from store.repo_pairings import SUMMARY_HAS_OFFER, SUMMARY_NO_OFFER, SUMMARY_SIGNED, PairingRepository

__all__ = ["SUMMARY_HAS_OFFER", "SUMMARY_NO_OFFER", "SUMMARY_SIGNED", "CadreRepository", "PairingRepository"]
