"""Stage 4, output: the PDF (worker, structure tree, cover) and the published set (atomic writes, lock, manifest,
content-addressed copies, publish, edition). May use every earlier stage and report.errors; never the harness."""
