"""Benchmarks: run each with ``python -m bench.<name>`` (see README "Performance").

They are not part of the test run; ``tests/bench`` only checks that each one
starts and prints its table at a tiny size.
"""
