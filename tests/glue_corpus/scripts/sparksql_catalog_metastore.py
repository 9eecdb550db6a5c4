import sys
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job

# Run with --enable-glue-datacatalog: Spark SQL sees the Glue Data Catalog as its metastore.
args = getResolvedOptions(sys.argv, ['JOB_NAME', 'database', 'output_path'])
sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args['JOB_NAME'], args)

segments = spark.sql(f"""
    SELECT segment, country, COUNT(*) AS customers
    FROM {args['database']}.customers
    GROUP BY segment, country
""")
print("tables:", [t.name for t in spark.catalog.listTables(args['database'])])
segments.write.mode("overwrite").parquet(args['output_path'])
job.commit()
