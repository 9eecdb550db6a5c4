"""Glue: job runs that really run (Python shell and local Spark) and the Data Catalog."""
