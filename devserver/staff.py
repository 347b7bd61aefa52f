"""The provider-relations staff tool for the local portal (in AWS the same API is IAM-signed).

    python -m devserver.staff list
    python -m devserver.staff approve 123456789 --reason "Signer verified by phone"
    python -m devserver.staff reject 123456789 --reason "Signer is not on file"
    python -m devserver.staff authorizations
    python -m devserver.staff authorization PA-0123456789 --outcome approve --reason "Meets criteria"
      (--outcome approve | partially_approve --units 1,0 | deny | request_information)
    python -m devserver.staff reactivate EMAIL_OR_USERNAME --reason "Caller verified by phone"
    python -m devserver.staff deactivate EMAIL_OR_USERNAME --reason "Left the practice"

  A Provider ID's administrators (the first one verified with the practice when they proved no payment):
    python -m devserver.staff links G1000001
    python -m devserver.staff verify G1000001 ACCOUNT_ID --reason "Called the practice's number on file"
    python -m devserver.staff deny-verification G1000001 ACCOUNT_ID --reason "Unknown to the practice"
    python -m devserver.staff assign-admin G1000001 ACCOUNT_ID [--replaces ACCOUNT_ID] --reason "Owner retired"
    python -m devserver.staff remove-admin G1000001 ACCOUNT_ID --reason "Left the practice"
    python -m devserver.staff revoke-delegation G1000001 ACCOUNT_ID --reason "The practice called"
"""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request
from typing import Any

from devserver.gateway import STAFF_HEADER


def call(portal: str, user: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(  # noqa: S310 - the local devserver
        f"{portal}/api{path}", json.dumps(body).encode() if body is not None else None,
        {"Content-Type": "application/json", STAFF_HEADER: user}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.load(response)
    except urllib.error.HTTPError as error:
        problem = json.load(error)
        raise SystemExit(f"{problem.get('title')}: {problem.get('detail')}") from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("action", choices=["list", "approve", "reject", "authorizations", "authorization",
                                           "reactivate", "deactivate", *ADMINS])
    parser.add_argument("tax_id", nargs="?", metavar="TAX_ID_REQUEST_ACCOUNT_OR_PROVIDER_ID")
    parser.add_argument("account_id", nargs="?", metavar="ACCOUNT_ID")
    parser.add_argument("--replaces", default=None, help="assign-admin: the administrator who becomes a member")
    parser.add_argument("--reason", default="")
    parser.add_argument("--outcome", choices=["approve", "partially_approve", "deny", "request_information"])
    parser.add_argument("--units", default="", help="approved units per service line, e.g. 1,0")
    parser.add_argument("--portal", default="http://127.0.0.1:3000")
    parser.add_argument("--as", dest="user", default="provider-relations", help="staff user name")
    args = parser.parse_args()
    if args.action in ADMINS:
        administrators(parser, args)
        return
    if args.action == "authorizations":
        for item in call(args.portal, args.user, "GET", "/staff/authorizations")["pending"]:
            print(f"{item['authorization_id']}  {item['urgency']}  due {item['due_at']}  "
                  f"{item['requesting_provider_id']}  {', '.join(item['service_codes'])}")
        return
    if args.action == "authorization":
        if not args.tax_id or not args.outcome or len(args.reason) < 3:
            parser.error("authorization needs a request number, --outcome and --reason (at least 3 characters)")
        body: dict[str, Any] = {"outcome": args.outcome, "reason": args.reason}
        if args.units:
            body["approved_units"] = [int(u) for u in args.units.split(",")]
        print(call(args.portal, args.user, "POST", f"/staff/authorizations/{args.tax_id}/decision", body)["message"])
        return
    if args.action in ("reactivate", "deactivate"):
        if not args.tax_id or len(args.reason) < 3:
            parser.error(f"{args.action} needs an email or user name and --reason (at least 3 characters)")
        path = "/staff/accounts/reactivations" if args.action == "reactivate" else "/staff/accounts/deactivations"
        print(call(args.portal, args.user, "POST", path, {"account": args.tax_id, "reason": args.reason})["message"])
        return
    if args.action == "list":
        pending = call(args.portal, args.user, "GET", "/staff/org-agreements")["agreements"]
        for item in pending:
            print(f"{item['tax_id']}  {item['group_name']}  signed by {item['signer_name']} "
                  f"({item['signer_title']}) at {item['signed_at']}; {item['waiting_requests']} waiting")
        if not pending:
            print("No organizational agreements are waiting.")
        return
    if not args.tax_id or len(args.reason) < 3:
        parser.error("approve/reject need a Tax ID and --reason (at least 3 characters)")
    result = call(args.portal, args.user, "POST", f"/staff/org-agreements/{args.tax_id}/decision",
                  {"approve": args.action == "approve", "reason": args.reason})
    print(result["message"])


ADMINS = ("links", "verify", "deny-verification", "assign-admin", "remove-admin", "revoke-delegation")


def administrators(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """The staff routes on a Provider ID's links and administrators."""
    if not args.tax_id:
        parser.error(f"{args.action} needs a Provider ID")
    provider = args.tax_id.upper()
    if args.action == "links":
        seen = call(args.portal, args.user, "GET", f"/staff/providers/{provider}/links")
        print(f"{provider}: {'has' if seen['has_administrator'] else 'has no'} administrator")
        for link in seen["links"]:
            print(f"{link['account_id']}  {link['role']:<6} {link['status']:<22} {link['name']} <{link['email']}>")
        return
    if not args.account_id or len(args.reason) < 3:
        parser.error(f"{args.action} needs a Provider ID, an account id and --reason (at least 3 characters)")
    if args.action in ("verify", "deny-verification"):
        path = f"/staff/providers/{provider}/verifications/{args.account_id}/decision"
        body: dict[str, Any] = {"approve": args.action == "verify", "reason": args.reason}
    elif args.action == "assign-admin":
        path = f"/staff/providers/{provider}/administrators"
        body = {"account_id": args.account_id, "replaces": args.replaces, "reason": args.reason}
    elif args.action == "revoke-delegation":
        path = f"/staff/providers/{provider}/delegations/{args.account_id}"
        print(call(args.portal, args.user, "DELETE", path, {"reason": args.reason})["message"])
        return
    else:
        path = f"/staff/providers/{provider}/administrators/{args.account_id}/removal"
        body = {"reason": args.reason}
    print(call(args.portal, args.user, "POST", path, body)["message"])


if __name__ == "__main__":
    main()
