"""archive_store: the single source of truth: SQLAlchemy models, sessions and the blob store."""
