"""Performance figures of the portal functions: cold start, AWS calls per request, password hashing.

Run with `python -m bench`. Prints figures only; nothing here is a test and nothing asserts a time.
"""
