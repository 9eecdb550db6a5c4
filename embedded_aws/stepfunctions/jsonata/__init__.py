"""JSONata and workflow variables for moto's Step Functions interpreter.

moto 5.2.5 ships LocalStack's JSONata-aware ASL interpreter with its JSONata
engine (a JVM bridge) cut out, so every JSONata expression fails with
``TypeError('NoneType' object is not callable)``. This package supplies a
pure-Python engine (``engine``), the Step Functions JSONata functions
(``functions``) and the wiring into the interpreter (``wiring``).
"""
