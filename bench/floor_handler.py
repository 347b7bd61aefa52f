"""The cold-start floor: the least a Powertools REST handler with one AWS client can import and do.

Every portal function is compared with this module: a resolver with one route and one boto3 client
created at import. The bench imports it exactly like a function's handler module.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

app = APIGatewayRestResolver()
dynamodb = boto3.client("dynamodb")


@app.get("/ping")
def ping() -> dict[str, str]:
    return {"status": "ok"}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
