"""Python shell job: write a manifest of the files that landed under a prefix."""
import json
import sys

import boto3
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["bucket", "prefix", "manifest_key"])

s3 = boto3.client("s3")
files = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args["bucket"], Prefix=args["prefix"]):
    for obj in page.get("Contents", []):
        files.append({"key": obj["Key"], "size": obj["Size"]})

manifest = {"prefix": args["prefix"], "files": files, "total_bytes": sum(f["size"] for f in files)}
s3.put_object(Bucket=args["bucket"], Key=args["manifest_key"], Body=json.dumps(manifest).encode("utf-8"))
print(f"{len(files)} files, {manifest['total_bytes']} bytes")
