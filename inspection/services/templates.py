"""Importing a checklist template: into the library, with its audit event."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from inspection import audit
from inspection.library import ImportResult, TemplateLibrary


def import_template(
    session: Session, library: TemplateLibrary, document: Any, *, source: str, actor_id: int | None
) -> ImportResult:
    """Import `document` (raises TemplateInvalid or VersionExists) and record who added it.

    The library is a file of its own, so the two writes cannot share a transaction: the
    template goes first, as a template without its event is a smaller loss than an event
    naming a template that is not there. An identical re-import changes nothing and records
    nothing."""
    result = library.import_document(document, source=source)
    if result.created:
        stored = result.template
        audit.record(
            session,
            actor_id=actor_id,
            action="template.import",
            entity="template",
            entity_id=f"{stored.key}:{stored.version}",
            after={
                "key": stored.key,
                "version": stored.version,
                "title": stored.title,
                "sha256": stored.sha256,
                "source": source,
            },
        )
        session.commit()
    return result
