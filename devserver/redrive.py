"""Return dead-lettered mail to the mail queue of the devserver's embedded AWS (infra/redrive.py does it
for a deployed stage).

    python -m devserver.redrive --endpoint-url <moto URL printed by `make run`>
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from devserver.local_aws import LOCAL_ENV, mail_dead_letters_url
from infra.redrive import redrive


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devserver.redrive", description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-url", required=True, help="the devserver's embedded AWS (printed by `make run`)")
    parser.add_argument("--limit", type=int, default=10_000, help="move at most this many messages")
    args = parser.parse_args(argv)

    import boto3

    sqs = boto3.client("sqs", endpoint_url=args.endpoint_url, region_name=LOCAL_ENV["AWS_REGION"],
                       aws_access_key_id="testing", aws_secret_access_key="testing")  # noqa: S106 - moto's
    moved = redrive(sqs, mail_dead_letters_url(LOCAL_ENV), LOCAL_ENV["MAIL_QUEUE_URL"], args.limit)
    print(f"returned {moved} message(s) to the mail queue")
    return 0


if __name__ == "__main__":
    sys.exit(main())
