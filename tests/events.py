"""Canonical API Gateway REST (v1) proxy events for calling handlers directly."""

from __future__ import annotations

import json
import uuid
from typing import Any


def api_event(method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
              source_ip: str = "203.0.113.10", resource: str | None = None) -> dict[str, Any]:
    base_headers = {"Content-Type": "application/json", "User-Agent": "pytest", "Host": "api.example.org"}
    base_headers.update(headers or {})
    request_id = str(uuid.uuid4())
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": base_headers,
        "multiValueHeaders": {k: [v] for k, v in base_headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource or path,
            "httpMethod": method,
            "path": f"/local{path}",
            "stage": "local",
            "requestId": request_id,
            "extendedRequestId": request_id,
            "accountId": "123456789012",
            "apiId": "local",
            "protocol": "HTTP/1.1",
            "requestTimeEpoch": 0,
            "identity": {"sourceIp": source_ip, "userAgent": base_headers["User-Agent"]},
        },
        "body": None if body is None else (body if isinstance(body, str) else json.dumps(body)),
        "isBase64Encoded": False,
    }


class FakeContext:
    function_name = "test"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "test-request"
