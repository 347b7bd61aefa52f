"""The REST API, built from the route table: one method per route, each a Lambda proxy integration.

The API, its stage and gateway responses stay in the portal stack; its resources and methods (two or
three CloudFormation resources per route) live in a nested stack, as the alarms do: a stack holds at most
500 resources, and every route adds to the count. The API's ID is known before the functions exist, so the
functions (which get the distribution's name, whose origin is the API) and the routes' nested stack (which
integrates them) make no cycle.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from constructs import Construct

from functions.shared.core.http import SECURITY_HEADERS
from infra.config import StageConfig
from infra.constructs._common import pascal
from infra.constructs.functions import Functions
from infra.constructs.logs import Logs
from infra.gateway_problems import GATEWAY_MESSAGE, GATEWAY_PROBLEMS, UNKNOWN_ADDRESS, GatewayProblem
from infra.routes import AUTHORIZER, ROUTES, Route

# Files of authorization requests come back base64-encoded from Lambda (isBase64Encoded); API Gateway turns
# them into bytes only when the request's first Accept type is a binary media type. A browser, curl or a
# generated client asks with */* (or a list led by text/html), so only */* makes every download bytes. The
# cost: every request body reaches the functions base64-encoded, which they decode (Powertools'
# decoded_body; core/http.py body_problem; core/fhir_http.py json_body), and the devserver does the same.
BINARY_MEDIA_TYPES = ("*/*",)

# Who called what and how it went; never bodies, query strings or headers that may carry PHI or tokens.
_ACCESS_LOG_FIELDS = {
    "requestId": apigw.AccessLogField.context_request_id(),
    "extendedRequestId": apigw.AccessLogField.context_extended_request_id(),
    "requestTime": apigw.AccessLogField.context_request_time(),
    "sourceIp": apigw.AccessLogField.context_identity_source_ip(),
    "userAgent": apigw.AccessLogField.context_identity_user_agent(),
    "httpMethod": apigw.AccessLogField.context_http_method(),
    "resourcePath": apigw.AccessLogField.context_resource_path(),
    "protocol": apigw.AccessLogField.context_protocol(),
    "status": apigw.AccessLogField.context_status(),
    "responseLength": apigw.AccessLogField.context_response_length(),
    "responseLatency": apigw.AccessLogField.context_response_latency(),
    "integrationLatency": apigw.AccessLogField.context_integration_latency(),
    "integrationStatus": apigw.AccessLogField.context_integration_status(),
    "errorMessage": apigw.AccessLogField.context_error_message(),
    "validationError": apigw.AccessLogField.context_error_validation_error_string(),
    "authorizerError": apigw.AccessLogField.context_authorizer_error(),
    "wafStatus": apigw.AccessLogField.context_waf_response_code(),
    "xrayTraceId": apigw.AccessLogField.context_xray_trace_id(),
}


# The functions' own security headers (functions/shared/core/http.py), as API Gateway header literals.
_GATEWAY_HEADERS = {
    "Content-Type": "'application/problem+json'",
    **{name: f"'{value}'" for name, value in SECURITY_HEADERS.items()},
}


def gateway_template(problem: GatewayProblem) -> str:
    """The problem body API Gateway fills in: `$context` variables are substituted, nothing else."""
    body = {"type": f"/problems/{problem.slug}", "title": problem.title, "status": problem.status,
            "detail": problem.detail or GATEWAY_MESSAGE}
    if problem.response_type == "ACCESS_DENIED":
        # A live session the authorizer refused: its context names why (functions/authorizer/logic.py);
        # both are empty for an IAM signer without permission.
        body["type"] += "$context.authorizer.subtype"
        body["detail"] = "$context.authorizer.detail"
    return json.dumps(body).replace(f'"{GATEWAY_MESSAGE}"', GATEWAY_MESSAGE)  # already a JSON string


def gateway_headers(problem: GatewayProblem) -> dict[str, str]:
    headers = dict(_GATEWAY_HEADERS)
    if problem.retry_after:
        headers["Retry-After"] = f"'{problem.retry_after}'"
    return headers


def mock_answer(status: int, body: dict[str, object], headers: dict[str, str]) -> apigw.MockIntegration:
    """A fixed problem+json answer from API Gateway itself (a MOCK integration: no function runs)."""
    return apigw.MockIntegration(
        # Whatever the request's body or type: no selection pattern makes this the default response.
        request_templates={"application/json": json.dumps({"statusCode": status})},
        passthrough_behavior=apigw.PassthroughBehavior.WHEN_NO_MATCH,
        # With binary media types */*, every request body is binary to API Gateway, and a binary body would
        # pass the mapping template by: as text, the template (the mock's status) applies.
        content_handling=apigw.ContentHandling.CONVERT_TO_TEXT,
        integration_responses=[apigw.IntegrationResponse(
            status_code=str(status),
            response_parameters={f"method.response.header.{name}": value
                                 for name, value in {**_GATEWAY_HEADERS, **headers}.items()},
            response_templates={"application/json": json.dumps(body)},
        )],
    )


def method_not_allowed(methods: Sequence[str]) -> apigw.MockIntegration:
    """405 problem+json with `Allow`, for any method of a path other than `methods` (the devserver's answer)."""
    allow = ", ".join(sorted(methods))
    return mock_answer(405, {"type": "/problems/method-not-allowed", "title": "Method not allowed", "status": 405,
                             "detail": f"This address answers to {allow}, not $context.httpMethod."},
                       {"Allow": f"'{allow}'"})


def unknown_address() -> apigw.MockIntegration:
    answer = UNKNOWN_ADDRESS
    return mock_answer(answer.status, {"type": f"/problems/{answer.slug}", "title": answer.title,
                                       "status": answer.status, "detail": answer.detail}, {})


def _mock_method_responses(status: int, headers: Sequence[str]) -> list[apigw.MethodResponse]:
    return [apigw.MethodResponse(status_code=str(status), response_parameters={
        f"method.response.header.{name}": True for name in (*_GATEWAY_HEADERS, *headers)})]


def session_route(route: Route) -> bool:
    """Admitted by the REQUEST authorizer (a browser session): neither public nor IAM-signed."""
    return not route.public and not route.iam


def authorization_type(route: Route) -> apigw.AuthorizationType:
    if route.public:
        return apigw.AuthorizationType.NONE
    if route.iam:
        return apigw.AuthorizationType.IAM
    return apigw.AuthorizationType.CUSTOM


def check_routes(routes: Sequence[Route], functions: Functions) -> None:
    seen: set[tuple[str, str]] = set()
    for route in routes:
        key = (route.method, route.path)
        if key in seen:
            raise ValueError(f"route {route.method} {route.path} is listed twice")
        seen.add(key)
        if not route.path.startswith("/"):
            raise ValueError(f"route path {route.path!r} must start with '/'")
        if route.function not in functions.functions:
            raise ValueError(f"route {route.method} {route.path} names unknown function {route.function!r}")
        if route.function == AUTHORIZER:
            raise ValueError(f"route {route.method} {route.path} targets the authorizer function")
        if route.iam and (route.public or route.partial):
            raise ValueError(f"route {route.method} {route.path} is signed with IAM (staff only); "
                             "it cannot also be public or open to partial sessions")
    protected = [f"{r.method} {r.path}" for r in routes if session_route(r)]
    if protected and AUTHORIZER not in functions.functions:
        raise ValueError(
            f"routes {protected} need a session, but FUNCTIONS has no {AUTHORIZER!r} function "
            "to admit their callers: add it to infra/routes.py or mark the routes public or iam"
        )


class Api(Construct):
    """`rest_api` with one method per route; `methods[route]` is the method serving `route`.

    `staff_policy` (None without IAM routes) allows execute-api:Invoke on the IAM-signed staff methods
    only; attach it to the provider-relations staff's roles. `routes_stack` holds the resources, the methods
    and the authorizer (the functions' invoke permissions stay with the functions and the API).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        functions: Functions,
        logs: Logs,
        routes: Sequence[Route] = ROUTES,
    ) -> None:
        super().__init__(scope, construct_id)
        check_routes(routes, functions)
        self.access_logs = logs.log_group(self, "AccessLogs")
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"provider-portal-{config.name}-{config.plan}",
            description=f"Provider portal API ({config.name}, {config.plan})",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            binary_media_types=list(BINARY_MEDIA_TYPES),
            # The account-level role API Gateway writes execution logs with is set once per account and
            # region, outside the per-plan stacks (README "Deploy to AWS"): a stack owning it would
            # take it away from the other plans' stacks when deleted.
            cloud_watch_role=False,
            deploy_options=apigw.StageOptions(
                stage_name=config.name,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(_ACCESS_LOG_FIELDS)),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # full request/response logging would write PHI and secrets
                metrics_enabled=True,
                tracing_enabled=True,
                throttling_rate_limit=config.throttling.rate_limit,
                throttling_burst_limit=config.throttling.burst_limit,
            ),
        )
        # API Gateway would create the execution log group itself, unencrypted and kept forever.
        execution_logs = logs.log_group(
            self,
            "ExecutionLogs",
            name=f"API-Gateway-Execution-Logs_{self.rest_api.rest_api_id}/{config.name}",
        )
        self.rest_api.deployment_stage.node.add_dependency(execution_logs)
        for gateway_problem in GATEWAY_PROBLEMS:
            self.rest_api.add_gateway_response(
                pascal(gateway_problem.response_type),
                type=apigw.ResponseType.of(gateway_problem.response_type),
                status_code=str(gateway_problem.status),
                response_headers=gateway_headers(gateway_problem),
                templates={"application/json": gateway_template(gateway_problem)},
            )
        self.validator = self.rest_api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        self.routes_stack = cdk.NestedStack(self, "Routes",
                                            description=f"Routes of the API of {cdk.Stack.of(self).stack_name}")
        self._top_resources: dict[str, apigw.Resource] = {}

        self.authorizer: apigw.RequestAuthorizer | None = None
        if AUTHORIZER in functions.functions:
            # No caching: every request is judged on its session, so sign-out takes effect at once.
            # Without a session cookie API Gateway answers 401 without invoking the authorizer.
            self.authorizer = apigw.RequestAuthorizer(
                self.routes_stack,
                "Authorizer",
                handler=functions.functions[AUTHORIZER],
                identity_sources=[apigw.IdentitySource.header("Cookie")],
                results_cache_ttl=cdk.Duration.seconds(0),
            )

        # One invoke permission per function for this API, not one per method: a stack holds at most 500
        # resources, and the function answers only its own routes anyway.
        integrations = {
            name: apigw.LambdaIntegration(fn, proxy=True, scope_permission_to_method=False)
            for name, fn in functions.functions.items()
            if name != AUTHORIZER
        }
        self.methods: dict[Route, apigw.Method] = {}
        for route in routes:
            resource = self._resource(route.path)
            self.methods[route] = resource.add_method(
                route.method,
                integrations[route.function],
                request_validator=self.validator,
                authorization_type=authorization_type(route),
                authorizer=self.authorizer if session_route(route) else None,
            )

        # API Gateway answers a method a path does not list as if the path did not exist. Each path answers
        # such a method 405 with `Allow` instead, from a MOCK integration: no function runs.
        allowed: dict[str, list[str]] = {}
        for route in routes:
            allowed.setdefault(route.path, []).append(route.method)
        self.mock_methods: dict[str, apigw.Method] = {
            path: self._resource(path).add_method(
                "ANY", method_not_allowed(methods), authorization_type=apigw.AuthorizationType.NONE,
                method_responses=_mock_method_responses(405, ["Allow"]))
            for path, methods in allowed.items()
        }
        # A path no route has (and the bare root) gets 404 here too, rather than API Gateway's "Missing
        # Authentication Token", which then means only an unsigned staff request.
        self.mock_methods["/"] = apigw.Method(
            self.routes_stack, "RootAny", resource=self.rest_api.root, http_method="ANY",
            integration=unknown_address(),
            options=apigw.MethodOptions(authorization_type=apigw.AuthorizationType.NONE,
                                        method_responses=_mock_method_responses(404, [])))
        proxy = self._resource("/{proxy+}")
        self.mock_methods[proxy.path] = proxy.add_method(
            "ANY", unknown_address(), authorization_type=apigw.AuthorizationType.NONE,
            method_responses=_mock_method_responses(404, []))

        self.staff_policy: iam.ManagedPolicy | None = None
        staff_methods = [method for route, method in self.methods.items() if route.iam]
        if staff_methods:
            # method_arn names the deployed stage and puts '*' for each {path parameter}.
            self.staff_policy = iam.ManagedPolicy(
                self,
                "StaffInvoke",
                description=f"Provider-relations staff: call the staff routes of the portal API "
                f"({config.name}, {config.plan})",
                statements=[
                    iam.PolicyStatement(actions=["execute-api:Invoke"],
                                        resources=[method.method_arn for method in staff_methods])
                ],
            )

    def _resource(self, path: str) -> apigw.Resource:
        """The API resource of `path` (not the root): its first part is made in the routes' nested stack,
        so everything below it is too."""
        first, _, rest = path.strip("/").partition("/")
        if not first:
            raise ValueError("the root resource belongs to the API itself")
        top = self._top_resources.get(first)
        if top is None:
            top = self._top_resources[first] = apigw.Resource(self.routes_stack, first, parent=self.rest_api.root,
                                                              path_part=first)
        return top.resource_for_path(rest) if rest else top
