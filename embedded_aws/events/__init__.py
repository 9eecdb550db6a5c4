"""EventBridge: rules deliver events to their targets as the user guide documents.

input_transformer  what a target receives: the event, Input, InputPath or an InputTransformer's output (pure)
delivery           rule state and pattern, delivery to SQS/SNS/Lambda targets, PutTargets refusals,
                   and ``put_event``: how the emulator's services put their events on a bus
emitter            events put from under a service's own lock (Glue, Athena): queued, then put in order
faults             test-only: drop, repeat or delay the services' events on purpose
"""
