"""The dashboards under ``/reports/``: their filters, what each viewer's dashboard covers, the
ticket sets behind every figure and the figures each page shows."""
