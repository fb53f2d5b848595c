"""HTTP API families."""
