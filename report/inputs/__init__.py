"""Stage 1, inputs: read and validate data/, the rubric, the copy, templates/phrases.yaml and the build options.

May use report.errors and the package's version only; every later stage reads what it returns.
"""
