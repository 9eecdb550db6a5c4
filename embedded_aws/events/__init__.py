"""EventBridge: rules deliver events to their targets as the user guide documents.

input_transformer  what a target receives: the event, Input, InputPath or an InputTransformer's output (pure)
delivery           rule state and pattern, delivery to SQS/SNS/Lambda targets, PutTargets refusals,
                   and ``put_event``: how the emulator's S3 and Step Functions put their events on a bus
"""
