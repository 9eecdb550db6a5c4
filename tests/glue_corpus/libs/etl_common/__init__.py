"""A team's shared ETL helpers, shipped to Glue jobs as a zip with --extra-py-files."""
