"""The name and tag of every documented operation: what a client generator turns into a method and a module.

A new route in infra/routes.py needs its line here (`python -m openapi.generate` refuses to run without
it): a camelCase `operationId` that reads as a verb and its object (`getClaim`, `searchClaims`), unique
across both documents and never changed once published, and one of the TAGS. Staff routes
(`Route(iam=True)`) go to the staff document, the others to the public one; FHIR routes are in neither.
"""

from __future__ import annotations

import re

# Tag -> its description, in the order the documents list them.
TAGS: dict[str, str] = {
    "account": "Registration, activation, password resets and account lifecycle.",
    "sign-in": "Sessions: signing in and out.",
    "MFA": "Second sign-in factors (authenticator app, SMS, email, push, passkeys) and remembered devices.",
    "provider access": "Linking an account to Provider IDs; a Provider ID's members and administrators.",
    "agreements": "The Provider Agreement and a group's organizational agreement.",
    "delegations": "People outside a practice (billing services) acting for a Provider ID.",
    "start": "What needs the signed-in user's attention.",
    "eligibility": "Member eligibility and benefits on a date of service.",
    "claims": "Claims, their lines and payments.",
    "admissions": "Hospital admission and discharge notifications.",
    "authorizations": "Prior authorization requests, their files, appeals and decisions.",
    "metrics": "Published prior-authorization metrics (CMS-0057-F).",
    "FHIR clients": "The systems of a Provider ID that use the FHIR API.",
}

# (METHOD, path as in infra/routes.py) -> (operationId, tag)
OPERATIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("GET", "/captcha"): ("getCaptcha", "account"),
    ("POST", "/registrations"): ("createRegistration", "account"),
    ("POST", "/activations"): ("activateAccount", "account"),
    ("POST", "/activations/resend"): ("resendActivation", "account"),
    ("POST", "/password-resets"): ("requestPasswordReset", "account"),
    ("POST", "/password-resets/complete"): ("completePasswordReset", "account"),
    ("POST", "/staff/accounts/reactivations"): ("reactivateAccount", "account"),
    ("POST", "/staff/accounts/deactivations"): ("deactivateAccount", "account"),
    ("POST", "/sessions"): ("signIn", "sign-in"),
    ("GET", "/sessions/current"): ("getCurrentSession", "sign-in"),
    ("DELETE", "/sessions/current"): ("signOut", "sign-in"),
    ("DELETE", "/sessions"): ("signOutEverywhere", "sign-in"),
    ("GET", "/mfa/factors"): ("listMfaFactors", "MFA"),
    ("POST", "/mfa/factors"): ("createMfaFactor", "MFA"),
    ("POST", "/mfa/factors/{factor_id}/confirm"): ("confirmMfaFactor", "MFA"),
    ("DELETE", "/mfa/factors/{factor_id}"): ("deleteMfaFactor", "MFA"),
    ("POST", "/mfa/challenge"): ("sendMfaChallenge", "MFA"),
    ("POST", "/mfa/verify"): ("verifyMfa", "MFA"),
    ("GET", "/mfa/devices"): ("listRememberedDevices", "MFA"),
    ("DELETE", "/mfa/devices/{device_id}"): ("forgetRememberedDevice", "MFA"),
    ("POST", "/push/devices"): ("enrolPushDevice", "MFA"),
    ("POST", "/push/responses"): ("answerPushChallenge", "MFA"),
    ("POST", "/mfa/passkeys/registration-options"): ("getPasskeyRegistrationOptions", "MFA"),
    ("POST", "/mfa/passkeys"): ("addPasskey", "MFA"),
    ("PATCH", "/mfa/passkeys/{factor_id}"): ("renamePasskey", "MFA"),
    ("POST", "/mfa/passkeys/challenge"): ("sendPasskeyChallenge", "MFA"),
    ("POST", "/mfa/passkeys/verify"): ("verifyPasskey", "MFA"),
    ("POST", "/passkeys/signin-options"): ("getPasskeySignInOptions", "sign-in"),
    ("POST", "/passkeys/signin"): ("signInWithPasskey", "sign-in"),
    ("POST", "/links"): ("createLink", "provider access"),
    ("GET", "/links"): ("listLinks", "provider access"),
    ("GET", "/portal/providers"): ("listAccessibleProviders", "provider access"),
    ("GET", "/providers/{provider_id}/members"): ("listProviderMembers", "provider access"),
    ("POST", "/providers/{provider_id}/requests/{account_id}/decision"): ("decideAccessRequest", "provider access"),
    ("DELETE", "/providers/{provider_id}/members/{account_id}"): ("removeProviderMember", "provider access"),
    ("PUT", "/providers/{provider_id}/members/{account_id}/features"): ("setMemberFeatures", "provider access"),
    ("POST", "/providers/{provider_id}/admins"): ("addProviderAdmin", "provider access"),
    ("DELETE", "/providers/{provider_id}/admins/me"): ("resignProviderAdmin", "provider access"),
    ("GET", "/staff/providers/{provider_id}/links"): ("listProviderLinks", "provider access"),
    ("POST", "/staff/providers/{provider_id}/verifications/{account_id}/decision"): (
        "decideAdministratorVerification", "provider access"),
    ("POST", "/staff/providers/{provider_id}/administrators"): ("assignAdministrator", "provider access"),
    ("POST", "/staff/providers/{provider_id}/administrators/{account_id}/removal"): (
        "removeAdministrator", "provider access"),
    ("PUT", "/staff/providers/{provider_id}/members/{account_id}/features"): (
        "setMemberFeaturesAsStaff", "provider access"),
    ("PUT", "/staff/members/{member_id}/provider-access"): ("setMemberProviderAccess", "provider access"),
    ("GET", "/agreements/provider"): ("getProviderAgreement", "agreements"),
    ("POST", "/agreements/provider"): ("acceptProviderAgreement", "agreements"),
    ("GET", "/agreements/organization/{provider_id}"): ("getOrgAgreement", "agreements"),
    ("POST", "/agreements/organization"): ("signOrgAgreement", "agreements"),
    ("GET", "/staff/org-agreements"): ("listPendingOrgAgreements", "agreements"),
    ("POST", "/staff/org-agreements/{tax_id}/decision"): ("decideOrgAgreement", "agreements"),
    ("POST", "/providers/{provider_id}/delegations"): ("createDelegation", "delegations"),
    ("GET", "/providers/{provider_id}/delegations"): ("listDelegations", "delegations"),
    ("DELETE", "/providers/{provider_id}/delegations/{account_id}"): ("revokeDelegation", "delegations"),
    ("POST", "/delegations/accept"): ("acceptDelegation", "delegations"),
    ("DELETE", "/staff/providers/{provider_id}/delegations/{account_id}"): ("revokeDelegationAsStaff", "delegations"),
    ("GET", "/start"): ("getStartPage", "start"),
    ("POST", "/eligibility"): ("checkEligibility", "eligibility"),
    ("GET", "/claims/{claim_id}"): ("getClaim", "claims"),
    ("POST", "/claims/search"): ("searchClaims", "claims"),
    ("POST", "/admissions"): ("createAdmission", "admissions"),
    ("POST", "/admissions/search"): ("searchAdmissions", "admissions"),
    ("GET", "/admissions/{admission_id}"): ("getAdmission", "admissions"),
    ("PATCH", "/admissions/{admission_id}"): ("recordDischarge", "admissions"),
    ("POST", "/authorizations"): ("createAuthorization", "authorizations"),
    ("POST", "/authorizations/search"): ("searchAuthorizations", "authorizations"),
    ("GET", "/authorizations/{authorization_id}"): ("getAuthorization", "authorizations"),
    ("POST", "/authorizations/{authorization_id}/information"): ("sendAuthorizationInformation", "authorizations"),
    ("GET", "/authorizations/{authorization_id}/attachments/{number}"): (
        "downloadAuthorizationAttachment", "authorizations"),
    ("POST", "/authorizations/{authorization_id}/appeal"): ("appealAuthorization", "authorizations"),
    ("POST", "/authorizations/{authorization_id}/withdraw"): ("withdrawAuthorization", "authorizations"),
    ("GET", "/staff/authorizations"): ("listAuthorizationQueue", "authorizations"),
    ("POST", "/staff/authorizations/{authorization_id}/decision"): ("decideAuthorization", "authorizations"),
    ("GET", "/public/prior-authorization-metrics"): ("listPublishedMetricYears", "metrics"),
    ("GET", "/public/prior-authorization-metrics/{year}"): ("getPriorAuthorizationMetrics", "metrics"),
    ("POST", "/staff/prior-authorization-metrics/{year}"): ("publishPriorAuthorizationMetrics", "metrics"),
    ("GET", "/staff/prior-authorization-metrics/{year}/basis"): ("downloadPriorAuthorizationMetricsBasis", "metrics"),
    ("GET", "/providers/{provider_id}/fhir-clients"): ("listFhirClients", "FHIR clients"),
    ("POST", "/providers/{provider_id}/fhir-clients"): ("registerFhirClient", "FHIR clients"),
    ("DELETE", "/providers/{provider_id}/fhir-clients/{client_id}"): ("revokeFhirClient", "FHIR clients"),
    ("GET", "/staff/providers/{provider_id}/fhir-clients"): ("listFhirClientsAsStaff", "FHIR clients"),
    ("DELETE", "/staff/fhir-clients/{client_id}"): ("revokeFhirClientAsStaff", "FHIR clients"),
}

OPERATION_ID = re.compile(r"^[a-z][a-zA-Z0-9]*$")


def problems(routes: list[tuple[str, str]]) -> list[str]:
    """What is wrong with OPERATIONS for these (METHOD, path) routes: one line per route or entry."""
    found = []
    for method, path in routes:
        if (method, path) not in OPERATIONS:
            found.append(f'{method} {path} has no operationId and tag: add ("{method}", "{path}"): '
                         '("<verbObject>", "<tag>") to OPERATIONS in openapi/operations.py')
    for key in sorted(set(OPERATIONS) - set(routes)):
        found.append(f"{key[0]} {key[1]} is in openapi/operations.py but not a documented route")
    seen: dict[str, tuple[str, str]] = {}
    for key, (operation_id, tag) in OPERATIONS.items():
        if not OPERATION_ID.match(operation_id):
            found.append(f"{key[0]} {key[1]}: operationId {operation_id!r} is not camelCase")
        if tag not in TAGS:
            found.append(f"{key[0]} {key[1]}: tag {tag!r} is not one of TAGS in openapi/operations.py")
        if operation_id in seen:
            other = seen[operation_id]
            found.append(f"operationId {operation_id!r} names both {other[0]} {other[1]} and {key[0]} {key[1]}")
        seen[operation_id] = key
    return found
