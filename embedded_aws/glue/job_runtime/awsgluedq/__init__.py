"""A local ``awsgluedq``: AWS Glue Data Quality's ``EvaluateDataQuality`` for jobs of the embedded Glue.

Glue Studio adds ``EvaluateDataQuality().process_rows(...)`` with a default
ruleset (``ColumnCount > 0``) to every S3 target, so Studio scripts need it.
The rules of the Data Quality Definition Language that are evaluated locally
are listed in ``_dqdl``; any other rule fails the run as "not supported
locally". Results are returned to the script but not published to the Data
Quality service.
"""
