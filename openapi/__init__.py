"""The portal's OpenAPI document: generated from the function resolvers, committed, checked for drift."""
