import sys
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue import DynamicFrame
import re

def sparkSqlQuery(glueContext, query, mapping, transformation_ctx) -> DynamicFrame:
    for alias, frame in mapping.items():
        frame.toDF().createOrReplaceTempView(alias)
    result = spark.sql(query)
    return DynamicFrame.fromDF(result, glueContext, transformation_ctx)
args = getResolvedOptions(sys.argv, ['JOB_NAME'])
sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args['JOB_NAME'], args)

# Script generated for node Amazon S3
AmazonS3_node1717000000001 = glueContext.create_dynamic_frame.from_options(format_options={"quoteChar": "\"", "withHeader": True, "separator": ",", "optimizePerformance": False}, connection_type="s3", format="csv", connection_options={"paths": ["s3://etl-runner-test-glue-corpus/studio/raw/orders/"], "recurse": True}, transformation_ctx="AmazonS3_node1717000000001")

# Script generated for node Change Schema
ChangeSchema_node1717000000002 = ApplyMapping.apply(frame=AmazonS3_node1717000000001, mappings=[("order_id", "long", "order_id", "long"), ("region", "string", "region", "string"), ("order_date", "string", "order_date", "date"), ("amount", "double", "amount", "double"), ("status", "string", "status", "string")], transformation_ctx="ChangeSchema_node1717000000002")

# Script generated for node Filter
Filter_node1717000000003 = Filter.apply(frame=ChangeSchema_node1717000000002, f=lambda row: (bool(re.match("shipped", row["status"]))), transformation_ctx="Filter_node1717000000003")

# Script generated for node SQL Query
SqlQuery0 = '''
select region, order_date, count(*) as orders, round(sum(amount), 2) as revenue
from myDataSource
group by region, order_date
'''
SQLQuery_node1717000000004 = sparkSqlQuery(glueContext, query = SqlQuery0, mapping = {"myDataSource":Filter_node1717000000003}, transformation_ctx = "SQLQuery_node1717000000004")

# Script generated for node Amazon S3
AmazonS3_node1717000000005 = glueContext.getSink(path="s3://etl-runner-test-glue-corpus/studio/curated/sales_by_region/", connection_type="s3", updateBehavior="UPDATE_IN_DATABASE", partitionKeys=["region"], enableUpdateCatalog=True, transformation_ctx="AmazonS3_node1717000000005")
AmazonS3_node1717000000005.setCatalogInfo(catalogDatabase="corpus_studio",catalogTableName="sales_by_region")
AmazonS3_node1717000000005.setFormat("glueparquet", compression="snappy")
AmazonS3_node1717000000005.writeFrame(SQLQuery_node1717000000004)
job.commit()
