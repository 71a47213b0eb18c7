"""Speed-and-scale benchmarks of Newsdesk. Run on purpose (`python -m bench.run`), not in tests.

Only the smoke mode runs in the default test run (tests/test_bench_smoke.py), so the scripts
cannot rot; timings are printed and written to JSON, never asserted.
"""
