"""Every test runs with the local settings and fake AWS credentials; nothing reaches a real AWS."""

import os

from devserver.local_aws import LOCAL_ENV

os.environ.update(LOCAL_ENV)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)
