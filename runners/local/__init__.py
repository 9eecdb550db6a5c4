"""The runner's local tooling: deploy the sample pipeline to the embedded AWS
and run it with in-process workers (``etl-runner demo``). It uses the
emulator (``embedded_aws``); the emulator never uses it."""
