"""Prometheus metrics of one raftops process (agent or backup sidecar)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import Metric

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter("raftops_http_requests", "HTTP requests served", ["method", "route", "code"], registry=REGISTRY)
HTTP_LATENCY = Histogram(
    "raftops_http_request_duration_seconds", "HTTP request latency", ["method", "route"], registry=REGISTRY
)
ETCD_LEADER_KNOWN = Gauge(
    "raftops_raft_leader_known", "1 when the local view names a raft (etcd) leader", registry=REGISTRY
)
ETCD_RAFT_TERM = Gauge("raftops_raft_term", "raft term reported by the local etcd member", registry=REGISTRY)
ETCD_APPLIED_INDEX = Gauge(
    "raftops_raft_applied_index", "raft applied index of the local etcd member", registry=REGISTRY
)
HEARTBEAT_OK = Gauge("raftops_heartbeat_ok", "1 while this agent's liveness lease is alive", registry=REGISTRY)
ELECTION_HOLDER = Gauge(
    "raftops_cluster_duties_holder", "1 while this agent runs the once-per-cluster duties", registry=REGISTRY
)


def prometheus_text() -> bytes:
    return generate_latest(REGISTRY)


def json_summary() -> dict:
    """Nomad's JSON metrics shape (``Gauges``, ``Counters``, ``Samples``), from the same registry."""
    gauges, counters, samples = [], [], []
    for family in REGISTRY.collect():
        for sample in family.samples:
            entry = {"Name": sample.name.replace("_", "."), "Labels": dict(sample.labels)}
            if family.type == "counter" and sample.name.endswith("_total"):
                counters.append({**entry, "Count": sample.value})
            elif family.type == "histogram":
                if sample.name.endswith("_sum") or sample.name.endswith("_count"):
                    samples.append({**entry, "Value": sample.value})
            elif family.type == "gauge":
                gauges.append({**entry, "Value": sample.value})
    return {"Gauges": gauges, "Counters": counters, "Samples": samples, "Points": [], "Timestamp": ""}


__all__ = ["REGISTRY", "Metric", "json_summary", "prometheus_text"]
