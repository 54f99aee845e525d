"""Stage 2, results: statistics, the tie rule and claims, scores, findings, latency, drift, and the results JSON.

May use report.inputs and report.errors; never the view, the output or the harness.
"""
