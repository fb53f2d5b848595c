"""raftops: a Nomad-style operator API, OpenSearch SM policies and an etcd-operator backup sidecar on etcd."""

__version__ = "0.1.0"
