"""Join Marketing And Sales Data: daily leads next to that day's marketing metrics.

Runs unchanged on AWS Glue 5.0 (``glueetl``) and on the embedded AWS Glue.

Arguments (Glue style, ``--name value``):
  --sales_path      Parquet written by process_sales_data
  --marketing_path  Parquet written by process_marketing_data
  --output_path     where the joined Parquet is written (overwritten)

Output: one Parquet file (easy to read back), rows sorted by date; an inner
join on ``date``, so only days present in both inputs:
  date                                    DATE
  forecasted_monthly_revenue, lead_count  BIGINT (from sales)
  new_visitors_seo, ..., events           the marketing columns, in their order

Rows with a NULL date never match (the processing jobs already drop them).
"""

import logging
import sys


from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

log = logging.getLogger("join_marketing_and_sales_data")


def start_job(names):
    """(spark, args, job): the Glue job started with its required arguments."""
    args = getResolvedOptions(sys.argv, ["JOB_NAME", *names])
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    return glue_context.spark_session, args, job


def join(sales, marketing):
    """Inner join on date, in one partition sorted by date."""
    return sales.join(marketing, on="date", how="inner").coalesce(1).sortWithinPartitions("date")


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    spark, args, job = start_job(["sales_path", "marketing_path", "output_path"])

    joined = join(spark.read.parquet(args["sales_path"]), spark.read.parquet(args["marketing_path"]))
    joined.write.mode("overwrite").parquet(args["output_path"])
    log.info("wrote the join of %s and %s to %s", args["sales_path"], args["marketing_path"], args["output_path"])
    job.commit()


if __name__ == "__main__":
    main()
