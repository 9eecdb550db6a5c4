"""Operating pipelines over weeks: backfill a date range, catch up missed
periods, clean up a period's outputs, redrive a failed execution.

Everything reads its state from Step Functions (executions named by run
date) and works the same against AWS and the embedded AWS.
"""
