"""One stack per stage and plan. It only composes the constructs; each concern lives in its own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.api import Api
from infra.constructs.functions import Functions
from infra.constructs.layer import DependencyLayer
from infra.constructs.logs import Logs
from infra.constructs.monitoring import Monitoring
from infra.constructs.notifications import Notifications
from infra.constructs.secrets import Secrets
from infra.constructs.tables import Tables
from infra.constructs.waf import Waf
from infra.routes import FUNCTIONS, ROUTES, Function, Route


class PortalStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        config: StageConfig,
        *,
        functions: Sequence[Function] = FUNCTIONS,
        routes: Sequence[Route] = ROUTES,
        **kwargs: Any,
    ) -> None:
        env = cdk.Environment(account=config.account, region=config.region)
        super().__init__(
            scope,
            config.stack_name,
            stack_name=config.stack_name,
            description=f"Provider portal for plan {config.plan}, stage {config.name}",
            env=env if (config.account or config.region) else None,
            termination_protection=config.retain,
            tags={"project": "provider-portal", "stage": config.name, "plan": config.plan},
            **kwargs,
        )
        self.config = config
        self.logs = Logs(self, "Logs", config=config)
        self.tables = Tables(self, "Tables", retain=config.retain)
        self.secrets = Secrets(self, "Secrets", config=config)
        self.notifications = Notifications(self, "Notifications", config=config)
        self.layer = DependencyLayer(self, "Dependencies")
        self.functions = Functions(
            self,
            "Functions",
            config=config,
            tables=self.tables,
            layer=self.layer,
            logs=self.logs,
            notifications=self.notifications,
            secrets=self.secrets,
            specs=functions,
            routes=routes,
        )
        self.api = Api(self, "Api", config=config, functions=self.functions, logs=self.logs, routes=routes)
        self.waf = Waf(self, "Waf", config=config, stage_arn=self.api.rest_api.deployment_stage.stage_arn,
                       logs=self.logs)
        self.monitoring = Monitoring(self, "Monitoring", config=config, functions=self.functions, api=self.api)
        cdk.CfnOutput(self, "ApiUrl", value=self.api.rest_api.url, description="Base URL of the API stage")
        cdk.CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn,
                      description="Subscribe on-call addresses here")
