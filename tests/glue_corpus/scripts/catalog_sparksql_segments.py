import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "database", "orders_table", "customers_table", "output_path"])

sc = SparkContext.getOrCreate()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

glueContext.create_data_frame.from_catalog(
    database=args["database"], table_name=args["orders_table"]
).createOrReplaceTempView("orders")
glueContext.create_data_frame.from_catalog(
    database=args["database"], table_name=args["customers_table"]
).createOrReplaceTempView("customers")

segments = spark.sql(
    """
    SELECT c.segment,
           o.region,
           COUNT(*)                    AS orders,
           ROUND(SUM(o.amount), 2)     AS revenue,
           MAX(o.order_date)           AS last_order_date
    FROM orders o
    JOIN customers c ON o.customer_id = c.cust_id
    WHERE o.status <> 'cancelled'
    GROUP BY c.segment, o.region
    """
)
segments.write.mode("overwrite").partitionBy("segment").parquet(args["output_path"])
job.commit()
