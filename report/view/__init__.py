"""Stage 3, view: what the reader sees, the view model the templates receive, the charts (planned, drawn, cached)
and the HTML. May use report.inputs, report.results and report.errors; never the output or the harness."""
