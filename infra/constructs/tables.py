"""DynamoDB tables, one per PynamoDB model: keys and TTL follow the models, never restated here."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_backup as backup
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from functions.shared.store.models import MODELS, key_schema
from infra.constructs._common import customer_key, pascal, removal_policy

_PROJECTIONS: dict[str, dynamodb.ProjectionType] = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
    "INCLUDE": dynamodb.ProjectionType.INCLUDE,
}
_ATTRIBUTE_TYPES: dict[str, dynamodb.AttributeType] = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


def _attribute(key: tuple[str, str]) -> dynamodb.Attribute:
    name, attr_type = key
    try:
        return dynamodb.Attribute(name=name, type=_ATTRIBUTE_TYPES[attr_type])
    except KeyError:
        raise ValueError(f"key attribute {name!r} has type {attr_type!r}; keys must be S, N or B") from None


class Tables(Construct):
    """Every table of `MODELS`, encrypted with one customer-managed key, with PITR and daily backups.

    `tables` is keyed like `MODELS` (accounts, unique_keys, ...), the same names the route table uses.
    """

    def __init__(self, scope: Construct, construct_id: str, *, retain: bool) -> None:
        super().__init__(scope, construct_id)
        self.key = customer_key(self, "Key", description="Encrypts the portal's DynamoDB tables and backups",
                                retain=retain)
        self.tables: dict[str, dynamodb.Table] = {}
        self.indexed: set[str] = set()  # tables with global secondary indexes
        for logical, model in MODELS.items():
            schema = key_schema(model)
            table = dynamodb.Table(
                self,
                pascal(logical),
                partition_key=_attribute(schema["hash_key"]),
                sort_key=_attribute(schema["range_key"]) if schema["range_key"] else None,
                time_to_live_attribute=schema["ttl"],
                stream=dynamodb.StreamViewType(schema["stream"]) if schema["stream"] else None,
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
                encryption_key=self.key,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                deletion_protection=retain,
                removal_policy=removal_policy(retain),
            )
            for index in schema.get("indexes", []):
                if index["projection"] not in _PROJECTIONS:
                    raise ValueError(
                        f"index {index['name']!r} of {logical!r} projects {index['projection']}; "
                        f"supported: {', '.join(_PROJECTIONS)}"
                    )
                table.add_global_secondary_index(
                    index_name=index["name"],
                    partition_key=_attribute(index["hash_key"]),
                    sort_key=_attribute(index["range_key"]) if index["range_key"] else None,
                    projection_type=_PROJECTIONS[index["projection"]],
                    non_key_attributes=index["non_key_attributes"] or None,
                )
                self.indexed.add(logical)
            self.tables[logical] = table

        # PITR restores to any second of the last 35 days; the vault keeps daily copies apart from the tables
        # and is kept when the stack is deleted (backups must outlive what they back up).
        vault = backup.BackupVault(self, "Vault", encryption_key=self.key,
                                   removal_policy=cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE)
        plan = backup.BackupPlan.daily35_day_retention(self, "BackupPlan", vault)
        self.backup_selection = plan.add_selection(
            "Tables",
            resources=[backup.BackupResource.from_dynamo_db_table(t) for t in self.tables.values()],
        )
