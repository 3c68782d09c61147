"""Exceptions raised by the store layer."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error the store raises on purpose."""


class StudentPhoneTaken(StoreError):
    """A student phone number already belongs to a stored student."""

    def __init__(self, phones: set[str]) -> None:
        super().__init__(f"{len(phones)} student phone number(s) already stored")
        self.phones = frozenset(phones)


class UniversityNotFound(StoreError):
    """No university has the given 学校标识码."""

    def __init__(self, code: str) -> None:
        super().__init__(f"no university with code {code!r}; import the list with `jiedui universities import`")
        self.code = code


class CadreNotFound(StoreError):
    """No cadre is bound to the given phone or OpenID."""


class DuplicateStudentPhone(StudentPhoneTaken):
    """The same student phone number appears on more than one student of one submission.

    A subclass of StudentPhoneTaken, so a caller that handles taken phones handles this case too.
    """

    def __init__(self, phones: set[str]) -> None:
        super().__init__(phones)
        message = f"{len(phones)} student phone number(s) appear on more than one student of the submission"
        self.args = (message,)


class StudentNotFound(StoreError):
    """The student is not paired with the cadre, or the pairing is in the recycle bin."""

    def __init__(self, cadre_id: int, student_id: int) -> None:
        super().__init__(
            f"student {student_id} is not paired with cadre {cadre_id} or its pairing is deleted; "
            "list the cadre's students with PairingRepository.list_for_cadre"
        )
        self.cadre_id = cadre_id
        self.student_id = student_id


class TooManyOffers(StoreError):
    """Adding an offer would give the student more offers than the filing rules allow."""

    def __init__(self, student_id: int, limit: int) -> None:
        super().__init__(
            f"student {student_id} would have more than {limit} offers; update a listed offer instead "
            "of adding one"
        )
        self.student_id = student_id
        self.limit = limit
