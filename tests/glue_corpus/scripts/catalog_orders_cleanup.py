"""Curate the web shop's raw orders (crawled JSON) into flat Parquet."""
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "database", "orders_table", "output_path"])

glueContext = GlueContext(SparkContext.getOrCreate())
logger = glueContext.get_logger()
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

orders = glueContext.create_dynamic_frame.from_catalog(
    database=args["database"],
    table_name=args["orders_table"],
    transformation_ctx="raw_orders",
)
logger.info(f"raw orders: {orders.count()}")
orders.printSchema()

# Some upstream systems send the amount as a string: make it a double everywhere.
orders = orders.resolveChoice(specs=[("amount", "cast:double")])

flat = orders.apply_mapping(
    [
        ("order_id", "long", "order_id", "long"),
        ("customer.id", "long", "customer_id", "long"),
        ("customer.name", "string", "customer_name", "string"),
        ("customer.address.city", "string", "city", "string"),
        ("customer.address.country", "string", "country", "string"),
        ("amount", "double", "amount", "double"),
        ("status", "string", "status", "string"),
        ("channel", "string", "channel", "string"),
    ]
)
flat = flat.drop_fields(["channel"])
flat = flat.rename_field("status", "order_status")
open_orders = flat.filter(f=lambda row: row["order_status"] != "cancelled")


def add_amount_band(rec):
    amount = rec["amount"]
    if amount is None:
        rec["amount_band"] = "unknown"
    elif amount >= 100:
        rec["amount_band"] = "high"
    else:
        rec["amount_band"] = "low"
    return rec


banded = open_orders.map(f=add_amount_band)
logger.info(f"curated orders: {banded.count()}")

glueContext.write_dynamic_frame.from_options(
    frame=banded,
    connection_type="s3",
    connection_options={"path": args["output_path"]},
    format="parquet",
    transformation_ctx="curated_orders",
)
job.commit()
