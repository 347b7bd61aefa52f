"""What the web pages get, wherever they are served: their security headers and `/config.json`.

One definition for the devserver (which serves them itself) and the CDK web tier (a CloudFront
response-headers policy and a deploy-time `config.json`), so local and deployed pages cannot drift.
"""

from __future__ import annotations

from typing import Any

from functions.shared.core.plans import PlanProfile

API_BASE = "/api"  # where the pages call the API: the same origin, locally and behind CloudFront

# HSTS is preload-ready (two years, subdomains, preload); browsers ignore it over the devserver's http.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'; form-action 'self'; object-src 'none'",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
                          "interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-cache",
}

# Pages only the devserver serves: the outbox reads the embedded AWS's sent mail and SMS.
DEV_ONLY_FILES = ("outbox.html", "js/outbox.js")


def public_config(plan: PlanProfile, *, api: str = API_BASE, outbox: str | None = None) -> dict[str, Any]:
    """What the pages may know about the plan: wording, form shape and the password rules to hint.

    `outbox` is for the devserver only: with it the pages show the "Development" note and link.
    """
    policy = plan.password_policy
    config: dict[str, Any] = {
        "key": plan.key,
        "brand": plan.brand,
        "portal_name": plan.portal_name,
        "provider_number_label": plan.provider_number_label,
        "zip_label": plan.zip_label,
        "support_phone": plan.support_phone,
        "registration_form": plan.registration_form,
        "verification": plan.verification,
        "requires_captcha": plan.requires_captcha,
        "signin_with": plan.signin_with,
        "passwordless_passkeys": plan.passwordless_passkeys,  # the sign-in page's passkey button and autofill
        "remember_device_days": plan.remember_device.days,
        "requires_org_agreement": plan.requires_org_agreement,
        "org_agreement_promise": plan.org_agreement_promise,
        "portal_tab": plan.portal_tab,
        "first_admin_proof": plan.first_admin_proof,
        "payment_proof_days": plan.payment_proof_days,
        "staff_verification_business_days": plan.staff_verification_business_days,
        "password_policy": {
            "min_length": policy.min_length,
            "max_length": policy.max_length,
            "require_lower": policy.require_lower,
            "require_upper": policy.require_upper,
            "require_digit": policy.require_digit,
            "require_special": policy.require_special,
            "reject_common": policy.reject_common,
        },
        "api": api,
    }
    if outbox:
        config["outbox"] = outbox  # development only: where the sent mail and SMS can be read
    return config
