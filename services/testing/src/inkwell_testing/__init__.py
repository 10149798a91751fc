"""Inkwell's test kit, shared by every suite: a pytest plugin (``plugin``) plus small building
blocks (tokens, PostgreSQL, Mongo, migrations, OpenAPI drift, preloading). No service ships it."""
