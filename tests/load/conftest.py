"""The full load test is a script (tests/load/load_test.py); only the smoke test runs under pytest."""

collect_ignore = ["load_test.py"]
