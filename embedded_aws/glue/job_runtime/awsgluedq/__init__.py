"""AWS Glue Data Quality (``awsgluedq``) is not available in the embedded AWS."""

raise ImportError(
    "awsgluedq (AWS Glue Data Quality, EvaluateDataQuality) is not supported locally by the embedded AWS Glue"
)
