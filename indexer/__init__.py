"""indexer: Vietnamese text analysis, the query language, search backends, rebuild and verify."""
