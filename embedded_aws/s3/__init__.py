"""S3: reading objects of the embedded backend in-process (objects); its events on EventBridge (eventbridge)."""
