"""The conclusion notice as a document: its frozen content (content.py) built from the approved
record (build.py), the Decree-30 date style (dates.py), and its renderings: HTML and PDF from one
Jinja template (pdf.py, fonts.py), DOCX (word.py), the verification QR code (qr.py). Pure: no
database, no request. Numbering, drafts and issuing are services/notices.py's."""
