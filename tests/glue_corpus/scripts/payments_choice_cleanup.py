import sys
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job

args = getResolvedOptions(sys.argv, ['JOB_NAME', 'source_path', 'target_path'])
glueContext = GlueContext(SparkContext.getOrCreate())
job = Job(glueContext)
job.init(args['JOB_NAME'], args)

payments = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": [args['source_path']]},
    format="csv",
    format_options={"withHeader": True},
    transformation_ctx="payments")
payments.printSchema()

# A few legacy provider ids are not numbers: keep both shapes for the audit...
audit = payments.resolveChoice(specs=[('provider_id', 'make_cols')])
# ...and for reporting, cast to long (the legacy ids become null).
report = payments.resolveChoice(specs=[('provider_id', 'cast:long')])


def parse_charges(rec):
    # "$1,234.50" -> 1234.5
    rec["charges_usd"] = float(rec["avg_charges"].lstrip("$").replace(",", ""))
    del rec["avg_charges"]
    return rec


report = Map.apply(frame=report, f=parse_charges, transformation_ctx="parse_charges")
report = ApplyMapping.apply(frame=report, mappings=[
    ("provider_id", "long", "provider_id", "long"),
    ("provider_name", "string", "provider_name", "string"),
    ("state", "string", "state", "string"),
    ("discharges", "long", "discharges", "int"),
    ("charges_usd", "double", "charges_usd", "double"),
], transformation_ctx="report_mapping")

glueContext.write_dynamic_frame.from_options(frame=audit.select_fields(['provider_id_long', 'provider_id_string', 'provider_name']),
    connection_type="s3", connection_options={"path": args['target_path'] + "audit/"}, format="parquet")
glueContext.write_dynamic_frame.from_options(frame=report,
    connection_type="s3", connection_options={"path": args['target_path'] + "report/"}, format="parquet")
job.commit()
