"""A visit's lifecycle: its states, what each state allows, and the moves between them.

One table says what each state lets people do; one table says which action moves a visit from
which state to which. Services and views ask here; no other module compares a visit's status.
Today's states and moves are those of the checklist: a visit is planned, its first accepted
answer starts it. Review (submitted, returned, approved) and the documents (notice_issued,
remediating, closed) add their rows here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from inspection.errors import N_, Conflict
from inspection.models import Visit, VisitStatus

S = VisitStatus


@dataclass(frozen=True)
class Allows:
    """What a visit in one state allows."""

    answers: bool = False  # inspectors may save answers
    photos: bool = False  # photos may be added, captioned, removed
    plan_edit: bool = False  # the lead may correct the date, place, team and participants
    unit_change: bool = False  # the inspected unit may change (no answer about one exists yet)


ALLOWS: dict[VisitStatus, Allows] = {
    S.PLANNED: Allows(answers=True, photos=True, plan_edit=True, unit_change=True),
    S.IN_PROGRESS: Allows(answers=True, photos=True, plan_edit=True),
    # Until the team hands the visit in for review, the lead may correct what was planned;
    # a returned visit takes answers again, but its plan stays as reviewed.
    S.SUBMITTED: Allows(),
    S.RETURNED: Allows(answers=True, photos=True),
    S.APPROVED: Allows(),
    S.NOTICE_ISSUED: Allows(),
    S.REMEDIATING: Allows(),
    S.CLOSED: Allows(),
}


class Action(StrEnum):
    ANSWER = "answer"  # an answer was accepted
    PHOTO = "photo"  # a photo was added, linked, captioned or removed


# (state, action) → the next state. An action allowed in a state but missing here leaves the
# state as it is (a second answer keeps a visit in progress).
MOVES: dict[tuple[VisitStatus, Action], VisitStatus] = {
    (S.PLANNED, Action.ANSWER): S.IN_PROGRESS,
    (S.PLANNED, Action.PHOTO): S.IN_PROGRESS,
}


class WrongState(Conflict):
    """The visit's state does not allow what was asked."""

    code = "wrong_state"


class VisitLocked(Conflict):
    """The visit has gone past the point where its plan can be corrected."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "This visit can no longer be changed: only a planned or in-progress "
                "visit can be edited."
            )
        )


def allows(visit: Visit) -> Allows:
    return ALLOWS[VisitStatus(visit.status)]


def can_answer(visit: Visit) -> bool:
    return allows(visit).answers


def can_edit_plan(visit: Visit) -> bool:
    return allows(visit).plan_edit


def can_change_unit(visit: Visit) -> bool:
    """Only before the first answer: answers about one unit cannot become another unit's."""
    return allows(visit).unit_change


def check_can_answer(visit: Visit) -> None:
    if not can_answer(visit):
        raise WrongState(f"the visit is {visit.status}: its answers can no longer change")


def can_change_photos(visit: Visit) -> bool:
    return allows(visit).photos


def check_can_change_photos(visit: Visit) -> None:
    if not can_change_photos(visit):
        raise WrongState(f"the visit is {visit.status}: its photos can no longer change")


def check_can_edit_plan(visit: Visit) -> None:
    if not can_edit_plan(visit):
        raise VisitLocked()


def record(visit: Visit, action: Action) -> None:
    """Move the visit on after `action` was done (in the same transaction)."""
    visit.status = MOVES.get((VisitStatus(visit.status), action), visit.status)
