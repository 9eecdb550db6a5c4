"""Activity-polling ETL runner service for AWS Glue and Athena."""
