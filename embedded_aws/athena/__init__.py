"""Athena: queries that really run on DuckDB, Hive DDL on the Glue Data Catalog, results in S3."""
