"""Process Marketing Data: daily marketing metrics with snake_case columns.

Runs unchanged on AWS Glue 5.0 (``glueetl``) and on the embedded AWS Glue.

Arguments (Glue style, ``--name value``):
  --input_path   the marketing CSV: a file, or a folder/prefix of CSV files
  --output_path  where the Parquet result is written (overwritten)

Input: CSV with a header line, one row a day, dates as M/D/YYYY.

Output (one Parquet file, sorted by date): every input column, its name trimmed and
turned into snake_case ("New visitors SEO" -> new_visitors_seo,
"Mailing list adds " -> mailing_list_adds):
  date                       DATE
  new_visitors_seo, ...      BIGINT  every metric column
  events                     STRING  campaign running that day; NULL on most days

"events" holds campaign names ("2013 CPC campaign", ...) in the sample data,
so it stays a nullable string; every other column is a count and becomes
BIGINT. Malformed input: a row whose date is not a valid M/D/YYYY date is
dropped (the count is logged); a metric that is not an integer becomes NULL.
"""

import logging
import re
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

log = logging.getLogger("process_marketing_data")

#: Columns kept as text; all others are integer metrics.
TEXT_COLUMNS = {"events"}


def start_job(names):
    """(spark, args, job): the Glue job started with its required arguments."""
    args = getResolvedOptions(sys.argv, ["JOB_NAME", *names])
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    return glue_context.spark_session, args, job


def snake_case(name):
    """'New visitors SEO' -> 'new_visitors_seo', 'Mailing list adds ' -> 'mailing_list_adds'."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def typed(marketing):
    """snake_case columns, a DATE ``date`` (NULL when unparseable), BIGINT metrics."""
    renamed = marketing.toDF(*[snake_case(name) for name in marketing.columns])
    if "date" not in renamed.columns:
        raise ValueError(f"no Date column in the marketing data (columns: {marketing.columns})")
    columns = []
    for name in renamed.columns:
        if name == "date":
            columns.append(F.to_date(F.trim(F.col(name)), "M/d/yyyy").alias(name))
        elif name in TEXT_COLUMNS:
            columns.append(F.col(name))
        else:
            columns.append(F.col(name).cast("bigint").alias(name))
    return renamed.select(columns)


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    spark, args, job = start_job(["input_path", "output_path"])
    # M/D/YYYY strings that are not dates become NULL instead of failing the job.
    spark.conf.set("spark.sql.legacy.timeParserPolicy", "CORRECTED")

    marketing = typed(spark.read.option("header", True).csv(args["input_path"])).cache()  # one row a day
    days, dropped = marketing.agg(F.count("date"), F.count(F.lit(1)) - F.count("date")).first()
    if dropped:
        log.warning("dropped %d row(s) with an unparseable date", dropped)

    result = marketing.where(F.col("date").isNotNull())
    result.coalesce(1).sortWithinPartitions("date").write.mode("overwrite").parquet(args["output_path"])
    log.info("wrote %d day(s) of marketing data to %s", days, args["output_path"])
    marketing.unpersist()
    job.commit()


if __name__ == "__main__":
    main()
