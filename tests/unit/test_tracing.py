"""X-Ray tracing: every function's entry point is traced in Lambda, and nothing of it runs locally or in tests.

Tracing patches botocore for the whole process, so the traced runs happen in a child process.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.routes import FUNCTIONS, Function

ROOT = Path(__file__).resolve().parents[2]

# A traced handler that calls SQS (on moto) and returns PHI-like data; every subsegment X-Ray would receive
# is printed as JSON.
TRACED_RUN = """
import json, sys
import boto3
from moto import mock_aws
from aws_xray_sdk.core import xray_recorder
from functions.shared.core import telemetry

sent = []

class Emitter:
    def send_entity(self, entity):
        sent.append(json.loads(entity.serialize()))

    def set_daemon_address(self, address):
        pass

class Context:
    function_name = "test"
    aws_request_id = "test-request"

@telemetry.traced
def lambda_handler(event, context):
    boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="mail")
    return {"member": "MBR-SECRET-1234"}

@telemetry.traced
def dispatcher(event, context):
    return lambda_handler(event, context)

telemetry.tracer()
xray_recorder.configure(emitter=Emitter())
with mock_aws():
    assert dispatcher({}, Context()) == {"member": "MBR-SECRET-1234"}
print(json.dumps(sent))
"""


def _child_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def test_a_traced_entry_point_shows_its_aws_calls_without_its_response() -> None:
    env = _child_env(LAMBDA_TASK_ROOT="/var/task", POWERTOOLS_TRACE_DISABLED="false",
                     POWERTOOLS_SERVICE_NAME="provider-portal-test",
                     _X_AMZN_TRACE_ID="Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
    result = subprocess.run([sys.executable, "-c", TRACED_RUN], env=env, cwd=ROOT, capture_output=True, text=True,
                            check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    sent = json.loads(result.stdout.strip().splitlines()[-1])
    names = [entity["name"] for entity in sent]
    # the dispatcher's invocation is the one traced entry; the entry point it calls runs inside it
    assert names.count("## dispatcher") == 1 and "## lambda_handler" not in names
    (entry,) = [entity for entity in sent if entity["name"] == "## dispatcher"]
    (call,) = [entity for entity in sent if entity["name"] == "sqs"]
    assert call["namespace"] == "aws" and call["aws"]["operation"] == "CreateQueue"
    assert call["parent_id"] == entry["id"]  # the AWS call is shown inside the invocation
    assert entry["annotations"]["ColdStart"] is True
    assert entry["annotations"]["Service"] == "provider-portal-test"
    assert "MBR-SECRET-1234" not in result.stdout  # responses may hold PHI: never recorded


def test_where_tracing_is_off_the_x_ray_sdk_is_never_loaded() -> None:
    # The devserver and the tests set POWERTOOLS_TRACE_DISABLED=true (devserver/local_aws.py LOCAL_ENV).
    assert os.environ["POWERTOOLS_TRACE_DISABLED"] == "true"
    script = ("import sys\nfrom functions.signin.handler import lambda_handler\n"
              "from tests.events import FakeContext, api_event\n"
              "lambda_handler(api_event('GET', '/sessions/current'), FakeContext())\n"
              "print('aws_xray_sdk' in sys.modules)")
    for extra in ({"LAMBDA_TASK_ROOT": "/var/task"}, {"POWERTOOLS_TRACE_DISABLED": "false"}):
        # in Lambda with tracing disabled, and outside Lambda with it not disabled
        result = subprocess.run([sys.executable, "-c", script], env=_child_env(**extra), cwd=ROOT,
                                capture_output=True, text=True, check=False, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == "False"


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_every_function_entry_point_is_traced(spec: Function) -> None:
    handler = importlib.import_module(f"functions.{spec.name}.handler").lambda_handler
    assert getattr(handler, "traced", False), f"functions/{spec.name}/handler.py: decorate with @telemetry.traced"


def test_the_shared_layer_ships_the_x_ray_sdk_the_tracer_loads() -> None:
    # Powertools imports aws_xray_sdk only when the tracer is made, so no import scan would find it missing.
    from importlib.metadata import version

    pinned = [line.split("#")[0].strip() for line in (ROOT / "requirements" / "runtime.txt").read_text().splitlines()]
    assert f"aws-xray-sdk=={version('aws-xray-sdk')}" in pinned
