"""Enrich orders with customers, then route large orders to the account managers' feed."""
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import Join, SelectFromCollection, SplitFields, SplitRows
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "orders_path", "customers_path", "target_path"])

sc = SparkContext.getOrCreate()
glueContext = GlueContext(sc)
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

csv_options = {"withHeader": True, "separator": ",", "quoteChar": '"'}
orders = glueContext.create_dynamic_frame.from_options(
    "s3", {"paths": [args["orders_path"]]}, format="csv", format_options=csv_options, transformation_ctx="orders"
)
customers = glueContext.create_dynamic_frame.from_options(
    "s3", {"paths": [args["customers_path"]]}, format="csv", format_options=csv_options, transformation_ctx="customers"
)

enriched = Join.apply(frame1=orders, frame2=customers, keys1=["customer_id"], keys2=["cust_id"], transformation_ctx="enriched").drop_fields(["cust_id"])

by_size = SplitRows.apply(
    frame=enriched,
    comparison_dict={"amount": {">=": 100}},
    name1="large_orders",
    name2="other_orders",
    transformation_ctx="by_size",
)
large = SelectFromCollection.apply(dfc=by_size, key="large_orders", transformation_ctx="large")
other = SelectFromCollection.apply(dfc=by_size, key="other_orders", transformation_ctx="other")

feed = SplitFields.apply(
    frame=large,
    paths=["order_id", "name", "segment", "amount"],
    name1="manager_feed",
    name2="order_details",
    transformation_ctx="feed",
)

glueContext.write_dynamic_frame.from_options(
    frame=feed.select("manager_feed"),
    connection_type="s3",
    connection_options={"path": args["target_path"] + "manager_feed/"},
    format="parquet",
)
glueContext.write_dynamic_frame.from_options(
    frame=other,
    connection_type="s3",
    connection_options={"path": args["target_path"] + "other_orders/"},
    format="parquet",
)
job.commit()
