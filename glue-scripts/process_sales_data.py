"""Process Sales Data: daily totals of new sales leads.

Runs unchanged on AWS Glue 5.0 (``glueetl``) and on the embedded AWS Glue.

Arguments (Glue style, ``--name value``):
  --input_path   the sales pipeline CSV: a file, or a folder/prefix of CSV files
  --output_path  where the Parquet result is written (overwritten)

Input: CSV with a header line (Date, Salesperson, Lead Name, Segment, Region,
Target Close, Forecasted Monthly Revenue, Opportunity Stage, ...), dates as
M/D/YYYY (e.g. 1/2/2011).

Output (one Parquet file, one row per day that has leads, sorted by date):
  date                        DATE
  forecasted_monthly_revenue  BIGINT  sum of the day's leads' Forecasted Monthly Revenue
  lead_count                  BIGINT  number of the day's leads

Only rows whose Opportunity Stage is exactly 'Lead' count. Malformed input:
a lead whose Date is not a valid M/D/YYYY date is dropped (the count is
logged); a lead whose revenue is not an integer still counts in lead_count
but adds nothing to the sum (the count is logged; a day where no lead has a
revenue gets NULL).
"""

import logging
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

log = logging.getLogger("process_sales_data")


def start_job(names):
    """(spark, args, job): the Glue job started with its required arguments."""
    args = getResolvedOptions(sys.argv, ["JOB_NAME", *names])
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    return glue_context.spark_session, args, job


def daily_leads(sales):
    """Per-day lead totals; unparseable dates are kept as a NULL-date row, and revenue failures counted."""
    revenue = F.col("Forecasted Monthly Revenue")
    leads = sales.where(F.col("Opportunity Stage") == "Lead").select(
        F.to_date(F.trim(F.col("Date")), "M/d/yyyy").alias("date"),
        revenue.cast("bigint").alias("revenue"),
        (revenue.isNotNull() & revenue.cast("bigint").isNull()).alias("bad_revenue"),
    )
    return leads.groupBy("date").agg(
        F.sum("revenue").cast("bigint").alias("forecasted_monthly_revenue"),
        F.count(F.lit(1)).alias("lead_count"),
        F.sum(F.col("bad_revenue").cast("bigint")).alias("bad_revenue"),
    )


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    spark, args, job = start_job(["input_path", "output_path"])
    # M/D/YYYY strings that are not dates become NULL instead of failing the job.
    spark.conf.set("spark.sql.legacy.timeParserPolicy", "CORRECTED")

    sales = spark.read.option("header", True).csv(args["input_path"])
    sales = sales.toDF(*[name.strip() for name in sales.columns])
    daily = daily_leads(sales).cache()  # one row a day: small even for big inputs

    days, dropped, bad_revenue = daily.agg(
        F.count("date"),
        F.coalesce(F.sum(F.when(F.col("date").isNull(), F.col("lead_count"))), F.lit(0)),
        F.coalesce(F.sum("bad_revenue"), F.lit(0)),
    ).first()
    if dropped:
        log.warning("dropped %d lead(s) with an unparseable Date", dropped)
    if bad_revenue:
        log.warning("%d lead(s) have a Forecasted Monthly Revenue that is not an integer", bad_revenue)

    result = daily.where(F.col("date").isNotNull()).select("date", "forecasted_monthly_revenue", "lead_count")
    result.coalesce(1).sortWithinPartitions("date").write.mode("overwrite").parquet(args["output_path"])
    log.info("wrote %d day(s) of leads to %s", days, args["output_path"])
    daily.unpersist()
    job.commit()


if __name__ == "__main__":
    main()
