"""The Python environment of a local Glue job run (not imported by the emulator).

``JOB_RUNTIME`` (this folder) is put first on a job's ``sys.path``, so a
script's ``import awsglue`` finds the local ``awsglue`` package here. It is a
package only so that installs ship it; never import it as
``embedded_aws.glue.job_runtime.awsglue``.
"""
