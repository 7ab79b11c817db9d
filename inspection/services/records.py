"""The on-site record of a visit (biên bản), as it stands: read, in words, and rendered. Printed
from the first answers on (workflow.can_print_record); nothing is stored: the signed paper is
the record, and the conclusion notice, later, is what the system keeps."""

from __future__ import annotations

import datetime as dt

from flask_babel import force_locale
from sqlmodel import Session

from inspection import workflow
from inspection.checklist import NA
from inspection.i18n import PageWords
from inspection.library import TemplateLibrary
from inspection.models import Visit
from inspection.records.build import build_record
from inspection.records.content import RecordContent
from inspection.services import answers
from inspection.services.notices import read_record

DOCUMENT = "vi"  # an official document is in Vietnamese, whatever the page's language


def record_content(
    session: Session, library: TemplateLibrary, visit: Visit, *, timezone: str, now: dt.datetime
) -> RecordContent:
    """The record as printed at `now` (in the agency's time zone)."""
    workflow.check_can_print_record(visit)
    record = read_record(session, library, visit, timezone=timezone)
    described: dict[str, str] = {}
    with force_locale(DOCUMENT):
        said = PageWords(DOCUMENT)
        for key, answer in answers.visit_answers(session, visit).items():
            item = record.template.by_key.get(key)
            if item is not None and answer.value is not None and answer.value != NA:
                described[key] = item.describe(answer.value, said)
    return build_record(record, described, now=now)
