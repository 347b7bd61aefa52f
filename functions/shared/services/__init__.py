"""Rules several steps share, on the store: who may see what (access, records), rate limits and lockouts,
member identity, sign-in and sessions, the workflows, mail and SMS, passwords, CAPTCHA and TOTP."""
