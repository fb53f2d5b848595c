"""Cluster views and duties: membership, leadership, autopilot."""
