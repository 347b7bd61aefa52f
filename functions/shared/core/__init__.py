"""The core: the portal's vocabulary and plumbing (states, errors, plans, identifiers, clock, config, HTTP
edge, audit entries, AWS clients). It imports nothing of the store or the services."""
