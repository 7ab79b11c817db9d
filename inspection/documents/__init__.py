"""What every official document shares, in the layout of Decree 30/2020 (DOMAIN.md): the serif
font with every Vietnamese letter (fonts.py), dates as the Decree writes them (dates.py), the PDF
renderer (pdf.py) and the Word building blocks (docx_parts.py). The documents themselves live in
`notices/` (the conclusion notice), `records/` (the on-site record) and `results/` (the plan's
overview, report, charts and spreadsheet)."""
