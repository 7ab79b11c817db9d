"""A plan's results: the overview of its visits (overview.py), the charts drawn from it
(charts.py), the report over its issued notices (report.py, word.py) and the spreadsheet
(spreadsheet.py). Pure: the service (services/results.py) reads the database."""
