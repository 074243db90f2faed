"""pipeline: batches, discovery, executors, orchestration, documents, and the `sohoa` CLI."""
