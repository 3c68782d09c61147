"""The filing rules of a student's offer list, as pure functions on OfferRecord tuples.

At most OFFERS_MAX offers are listed. A signed offer (已签约) is offer 1. An offer for a company that is
already listed replaces that offer instead of adding one, where company names are compared after NFKC
normalization, with whitespace removed and case folded (so 「字节 跳动」 matches 「字节跳动」 and
「ＡＢＣ」 matches 「abc」).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from store.errors import TooManyOffers
from store.records import OFFER_STATUSES, SIGNED_STATUS, OfferRecord

OFFERS_MAX = 10
"""Maximum number of offers of one student."""


def company_key(name: str) -> str:
    """Return the form of a company name that two offers are compared by."""
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


def find_offer(offers: Sequence[OfferRecord], company: str) -> int | None:
    """Return the 0-based index of the first offer for `company`, or None when none is listed."""
    key = company_key(company)
    for index, offer in enumerate(offers):
        if company_key(offer.company) == key:
            return index
    return None


def check_offer(offer: OfferRecord) -> None:
    """Raise ValueError when `offer` has no company or an unknown status."""
    if not company_key(offer.company):
        raise ValueError("offer has an empty company name; a company name is required")
    if offer.status not in OFFER_STATUSES:
        raise ValueError(f"offer status {offer.status!r} is not one of {', '.join(OFFER_STATUSES)}")


def signed_first(offers: Sequence[OfferRecord], prefer: int | None = None) -> list[OfferRecord]:
    """Return the offers with a signed one at position 1, keeping the order of the others.

    The offer at index `prefer` moves to the front when it is signed. Otherwise the first signed offer
    does, unless offer 1 is signed already.
    """
    arranged = list(offers)
    if prefer is not None and arranged[prefer].status == SIGNED_STATUS:
        arranged.insert(0, arranged.pop(prefer))
        return arranged
    if arranged and arranged[0].status == SIGNED_STATUS:
        return arranged
    for index, offer in enumerate(arranged):
        if offer.status == SIGNED_STATUS:
            arranged.insert(0, arranged.pop(index))
            break
    return arranged


@dataclass(frozen=True)
class OfferPlacement:
    """The offer list after one offer was placed, and where that offer went.

    `index_before` is the offer's 0-based index before the signed offer was moved to the front (for an
    added offer, the end of the list). `index` is its final 0-based index.
    """

    offers: tuple[OfferRecord, ...]
    added: bool
    index_before: int
    index: int
    previous: OfferRecord | None


def place_offer(offers: Sequence[OfferRecord], offer: OfferRecord, *, student_id: int) -> OfferPlacement:
    """Add `offer`, or replace the listed offer of the same company, and keep a signed offer first.

    A replacing offer with an empty `position` keeps the listed offer's position. Raises TooManyOffers
    when the offer would be added to a list that has OFFERS_MAX offers, and ValueError for an offer
    that check_offer rejects.
    """
    check_offer(offer)
    listed = list(offers)
    index_before = find_offer(listed, offer.company)
    previous = None
    if index_before is None:
        if len(listed) >= OFFERS_MAX:
            raise TooManyOffers(student_id, OFFERS_MAX)
        index_before = len(listed)
        listed.append(offer)
    else:
        previous = listed[index_before]
        listed[index_before] = offer if offer.position else replace(offer, position=previous.position)

    # The placed offer is tracked by identity, because another offer may equal it field by field.
    placed = listed[index_before]
    arranged = signed_first(listed, prefer=index_before)
    index = next(i for i, candidate in enumerate(arranged) if candidate is placed)
    return OfferPlacement(
        offers=tuple(arranged),
        added=previous is None,
        index_before=index_before,
        index=index,
        previous=previous,
    )
