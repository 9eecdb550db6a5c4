"""Lambda: event source mappings that deliver queue messages to a Python handler."""
