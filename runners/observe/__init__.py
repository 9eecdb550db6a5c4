"""Seeing what runs: pipelines, executions, per-state status and timings, job
logs, the execution graph and a small read-only web console.

Everything here reads AWS APIs only (Step Functions, Glue, Athena, CloudWatch
Logs) and the runners' DynamoDB task tables, so the same code answers for the
embedded AWS (``AWS_ENDPOINT_URL`` set) and for a real account.

source      where the reads go: AWS clients, the local prefix, the task tables
definition  a state machine definition as a tree (parents, branches, edges)
execution   an execution's history -> each state's status and timings
lookup      which state machines are pipelines; naming an execution
tasks       the runners' in-flight task records (what a running state is doing)
status      `etl-runner status`: pipelines, running, failed
history     `etl-runner history PIPELINE`: executions with per-state timings
logs        `etl-runner logs`: a Glue run's driver output, a query, an error
layout      the definition laid out in layers (Parallel branches side by side)
svg         the layout drawn, each state coloured by its status
console     `etl-runner console`: a read-only HTTP server over the above
pages       its HTML, rendered on the server
text        durations, times, short causes: said the same way everywhere
cli         the commands' arguments (registered by runners.cli)
"""
