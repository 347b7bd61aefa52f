"""AWS list prices the cost model uses: us-east-1, on-demand, USD, no free tier (except where noted).

Source: the AWS pricing pages named per entry (aws.amazon.com/<service>/pricing/), read 2026-11-28.
Update the numbers and PRICES_AS_OF together; nothing else in the model holds a price.
"""

from __future__ import annotations

PRICES_AS_OF = "2026-11-28"
REGION = "us-east-1"

# aws.amazon.com/lambda/pricing/ (Arm, first 7.5 billion GB-s a month)
LAMBDA_GB_SECOND_ARM = 0.0000133334
LAMBDA_PER_MILLION_REQUESTS = 0.20
# aws.amazon.com/api-gateway/pricing/ (REST APIs, first 333 million requests a month)
API_GATEWAY_REST_PER_MILLION = 3.50
# aws.amazon.com/cloudfront/pricing/ (pay as you go, United States: HTTPS requests, data out first 10 TB)
CLOUDFRONT_HTTPS_PER_10K = 0.0100
CLOUDFRONT_PER_GB_OUT = 0.085
# aws.amazon.com/dynamodb/pricing/on-demand/ (standard table class)
DYNAMODB_PER_MILLION_WRU = 0.625
DYNAMODB_PER_MILLION_RRU = 0.125
DYNAMODB_PER_GB_MONTH = 0.25
# aws.amazon.com/ses/pricing/ (outbound mail from Lambda)
SES_PER_THOUSAND = 0.10
# aws.amazon.com/end-user-messaging/pricing/ (SMS to the United States, toll-free origination: base price
# plus the typical carrier fee; varies by carrier and number type)
SMS_US_PER_MESSAGE = 0.00581 + 0.0025
# aws.amazon.com/step-functions/pricing/ (standard workflows)
STEP_FUNCTIONS_PER_THOUSAND_TRANSITIONS = 0.025
# aws.amazon.com/kms/pricing/
KMS_PER_10K_REQUESTS = 0.03
KMS_PER_KEY_MONTH = 1.00
# aws.amazon.com/waf/pricing/ (and Fraud Control account takeover prevention)
WAF_PER_ACL_MONTH = 5.00
WAF_PER_RULE_MONTH = 1.00
WAF_PER_MILLION_REQUESTS = 0.60
WAF_ATP_PER_MONTH = 10.00
WAF_ATP_PER_THOUSAND_LOGINS = 1.00
# aws.amazon.com/cloudwatch/pricing/ (logs ingestion, standard alarms, dashboards)
LOGS_PER_GB_INGESTED = 0.50
ALARM_PER_MONTH = 0.10
DASHBOARD_PER_MONTH = 3.00
# aws.amazon.com/cognito/pricing/ (Essentials tier, per monthly active user beyond the free 10,000)
COGNITO_ESSENTIALS_PER_MAU = 0.015
COGNITO_ESSENTIALS_FREE_MAU = 10_000
