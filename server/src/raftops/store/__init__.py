"""The only code that talks to etcd: gateway client, typed operations, state, leases."""

from .etcd import Etcd, KeyValue, Member, MemberStatus
from .gateway import EtcdError
from .state import StateError, StateStore

__all__ = ["Etcd", "EtcdError", "KeyValue", "Member", "MemberStatus", "StateError", "StateStore"]
