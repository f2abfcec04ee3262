"""AWS API calls through botocore; the only package that imports it."""
