"""Membership history for the warehouse: join three sources with DynamicFrame
methods, flatten, pivot the contacts array out, write through the catalog."""
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source_root", "database", "history_table", "contacts_path", "TempDir"])
glueContext = GlueContext(SparkContext.getOrCreate())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

root = args["source_root"]
people = glueContext.create_dynamic_frame.from_options("s3", {"paths": [root + "people/"]}, format="json")
orgs = glueContext.create_dynamic_frame.from_options("s3", {"paths": [root + "orgs/"]}, format="json")
memberships = glueContext.create_dynamic_frame.from_options(
    "s3", {"paths": [root + "memberships/"]}, format="csv", format_options={"withHeader": True}
)

orgs = orgs.unnest().rename_field("`address.city`", "org_city")
history = people.join(["id"], ["person_id"], memberships).join(["org_ref"], ["org_id"], orgs)
history = history.select_fields(["id", "name", "contacts", "start_date", "org_id", "org_name", "org_city"])
print("history rows:", history.count())

tables = history.relationalize("history", args["TempDir"])
glueContext.write_dynamic_frame.from_catalog(
    frame=tables.select("history"),
    database=args["database"],
    table_name=args["history_table"],
    transformation_ctx="history_sink",
)
glueContext.write_dynamic_frame.from_options(
    frame=tables.select("history_contacts"),
    connection_type="s3",
    connection_options={"path": args["contacts_path"]},
    format="json",
)
job.commit()
