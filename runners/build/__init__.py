"""The build tasks behind ``build.py``: deploying the pipeline to AWS.

Not part of the Lambda package or the worker. One small module per concept:

* ``runner``     the pynt-compatible task runner (``@task``, ``TASK[arg,...]``)
* ``settings``   the build's settings (env vars) and context (AWS clients via runners.aws)
* ``package``    the deterministic Lambda zip
* ``artifacts``  uploads to the artifact bucket; emptying and deleting buckets
* ``stacks``     CloudFormation: parameters, create/update/delete with progress, status
* ``operations`` the deployed pipeline: Lambda code, the weekly schedule, manual runs
"""
