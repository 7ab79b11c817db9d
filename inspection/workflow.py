"""A visit's lifecycle: its states, what each state allows, and the moves between them.

One table says what each state lets people do (ALLOWS); one says which action moves a visit from
which state to which (MOVES), and one who may make the moves that are a decision (BY: submit,
return, approve, reopen). Services and views ask here; no other module compares a visit's status.
Issuing the conclusion notice moves an approved visit to notice_issued, and on to closed at once
when the notice lists no deficiency (remediation, later, adds the unit's moves).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from inspection.errors import N_, Conflict, Forbidden
from inspection.models import Role, Visit, VisitStatus

S = VisitStatus


@dataclass(frozen=True)
class Allows:
    """What a visit in one state allows."""

    answers: bool = False  # the team may save answers
    photos: bool = False  # photos may be added, captioned, removed
    findings: bool = False  # the team may record deficiencies and explain warnings
    review: bool = False  # the lead reviews: corrects answers (with a reason), deficiencies,
    # explanations, and comments
    plan_edit: bool = False  # the lead may correct the date, place, team and participants
    notice_draft: bool = False  # the lead drafts the conclusion notice
    unit_change: bool = False  # the inspected unit may change (no answer about one exists yet)


TEAM = Allows(answers=True, photos=True, findings=True)
ALLOWS: dict[VisitStatus, Allows] = {
    S.PLANNED: Allows(answers=True, photos=True, findings=True, plan_edit=True, unit_change=True),
    S.IN_PROGRESS: Allows(answers=True, photos=True, findings=True, plan_edit=True),
    # Until the team hands the visit in for review, the lead may correct what was planned;
    # a returned visit takes answers again, but its plan stays as reviewed.
    S.SUBMITTED: Allows(review=True),
    S.RETURNED: TEAM,
    # Approval freezes answers, photos and deficiencies (the lead may reopen it).
    S.APPROVED: Allows(notice_draft=True),
    S.NOTICE_ISSUED: Allows(),
    S.REMEDIATING: Allows(),
    S.CLOSED: Allows(),
}


class Action(StrEnum):
    ANSWER = "answer"  # an answer was accepted
    PHOTO = "photo"  # a photo was added, linked, captioned or removed
    FINDING = "finding"  # a deficiency or an explanation was recorded
    SUBMIT = "submit"  # the team hands the visit in for review
    RETURN = "return"  # the lead sends it back with comments
    APPROVE = "approve"  # the lead stands behind it
    REOPEN = "reopen"  # the lead takes an approval back (until the notice)
    ISSUE = "issue"  # the lead issues the conclusion notice
    SUPERSEDE = "supersede"  # the lead issues a corrected notice in place of the last one
    CLOSE = "close"  # nothing is left to remediate


# (state, action) → the next state. A change allowed in a state but missing here leaves the
# state as it is (a second answer keeps a visit in progress); a decision missing here is refused.
MOVES: dict[tuple[VisitStatus, Action], VisitStatus] = {
    (S.PLANNED, Action.ANSWER): S.IN_PROGRESS,
    (S.PLANNED, Action.PHOTO): S.IN_PROGRESS,
    (S.PLANNED, Action.FINDING): S.IN_PROGRESS,
    (S.IN_PROGRESS, Action.SUBMIT): S.SUBMITTED,
    (S.RETURNED, Action.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, Action.RETURN): S.RETURNED,
    (S.SUBMITTED, Action.APPROVE): S.APPROVED,
    (S.APPROVED, Action.REOPEN): S.SUBMITTED,
    (S.APPROVED, Action.ISSUE): S.NOTICE_ISSUED,
    (S.NOTICE_ISSUED, Action.CLOSE): S.CLOSED,
    # A corrected notice changes the text, not where the remediation stands.
    (S.NOTICE_ISSUED, Action.SUPERSEDE): S.NOTICE_ISSUED,
    (S.REMEDIATING, Action.SUPERSEDE): S.REMEDIATING,
    (S.CLOSED, Action.SUPERSEDE): S.CLOSED,
}

# Who makes each decision: the visit's assigned inspectors submit, the plan's lead decides
# (which inspector and which lead, the access table checks: auth.py).
BY: dict[Action, Role] = {
    Action.SUBMIT: Role.INSPECTOR,
    Action.RETURN: Role.LEAD,
    Action.APPROVE: Role.LEAD,
    Action.REOPEN: Role.LEAD,
    Action.ISSUE: Role.LEAD,
    Action.SUPERSEDE: Role.LEAD,
}
DECISIONS = tuple(BY)
NOTICE_STATES = frozenset({S.NOTICE_ISSUED, S.REMEDIATING, S.CLOSED})


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


def can_record_findings(visit: Visit) -> bool:
    return allows(visit).findings


def can_review(visit: Visit) -> bool:
    return allows(visit).review


def check_can_record_findings(visit: Visit, role: str) -> None:
    """The team while it works; the lead while reviewing."""
    if role == Role.LEAD and can_review(visit):
        return
    if not can_record_findings(visit):
        raise WrongState(f"the visit is {visit.status}: its deficiencies can no longer change")


def check_can_correct(visit: Visit) -> None:
    """The lead's correction of an answer during review."""
    if not can_review(visit):
        raise WrongState(f"the visit is {visit.status}: it is not under review")


def can_draft_notice(visit: Visit) -> bool:
    return allows(visit).notice_draft


def check_can_draft_notice(visit: Visit) -> None:
    if not can_draft_notice(visit):
        raise WrongState(REFUSED[Action.ISSUE], extra={"visit_status": visit.status})


def can_print_record(visit: Visit) -> bool:
    """The on-site record is printed once answers are in: from the first accepted answer on
    (the visit has left `planned`), in every later state."""
    return VisitStatus(visit.status) != S.PLANNED


def check_can_print_record(visit: Visit) -> None:
    if not can_print_record(visit):
        raise WrongState(
            N_("The on-site record is printed once the visit has answers."),
            extra={"visit_status": visit.status},
        )


def has_notice(visit: Visit) -> bool:
    """Whether the visit's conclusion notice has been issued (its unit may read it)."""
    return VisitStatus(visit.status) in NOTICE_STATES


def issue_notice(visit: Visit, role: str, *, deficiencies: int) -> VisitStatus:
    """Issue the notice: the visit moves to notice_issued, or straight on to closed when the
    notice lists no deficiency. Returns the state it left."""
    before = decide(visit, Action.ISSUE, role)
    if deficiencies == 0:
        record(visit, Action.CLOSE)
    return before


def can_decide(visit: Visit, action: Action, role: str) -> bool:
    """Whether `role` may make the decision `action` on the visit as it is now."""
    return BY.get(action) == role and (VisitStatus(visit.status), action) in MOVES


def decide(visit: Visit, action: Action, role: str) -> VisitStatus:
    """Make a decision (submit, return, approve, reopen): moves the visit, or refuses with
    Forbidden (not this role's decision) or WrongState (not from this state). Returns the
    state it left."""
    before = check(visit, action, role)
    visit.status = MOVES[(before, action)]
    return before


def check(visit: Visit, action: Action, role: str) -> VisitStatus:
    """Refuses as `decide` would, moving nothing (a check before slow work done outside the
    write lock, made again under it). Returns the visit's state."""
    if BY.get(action) != role:
        raise Forbidden(f"only the {BY[action]} may {action} a visit")
    before = VisitStatus(visit.status)
    if (before, action) not in MOVES:
        raise WrongState(REFUSED[action], extra={"visit_status": before.value})
    return before


# What a decision from the wrong state is told (the states it may start from, as MOVES has them).
REFUSED = {
    Action.SUBMIT: N_("Only a visit in progress or returned to the team can be submitted."),
    Action.RETURN: N_("Only a submitted visit can be returned to the team."),
    Action.APPROVE: N_("Only a submitted visit can be approved."),
    Action.REOPEN: N_("Only an approved visit can be reopened, until its notice is issued."),
    Action.ISSUE: N_("A notice can be issued only for an approved visit that has none yet."),
    Action.SUPERSEDE: N_("Only the notice in force of a visit can be corrected."),
}


def record(visit: Visit, action: Action) -> None:
    """Move the visit on after a change `action` was done (in the same transaction)."""
    if action in BY:
        raise ValueError(f"{action} is a decision: use decide()")
    visit.status = MOVES.get((VisitStatus(visit.status), action), visit.status)
