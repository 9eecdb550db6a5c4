"""Step Functions on moto's executing backend, made to behave as AWS documents.

activities      activity tasks that really wait for workers (GetActivityTask, token lifetimes)
executions      StopExecution that ends the execution in the call
status_events   Execution Status Change events on EventBridge (start, end, stop, redrive)
redrive         RedriveExecution from the unsuccessful state
execution_api   DescribeExecution / ListExecutions / GetExecutionHistory shapes and paging
validation      InvalidDefinition diagnostics and ValidateStateMachineDefinition
interpreter     installs the ASL semantics moto gets wrong: jsonpath, error_names, wait_timestamp, map_tolerance
integrations    Glue/Athena optimised integrations, aws-sdk error names, the integrations' endpoint
fixes           small API corrections (unnamed executions, execution names unique under concurrent starts)
errors, rebind  helpers: API errors with their code; swapping a moto function everywhere it is imported
"""
