"""`sohoa serve`: the archive's server (users, sessions, CSRF, throttling, audit, REST, IIIF)."""
