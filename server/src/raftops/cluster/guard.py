"""Keep an etcd member that was removed, or whose data vanished, from coming back by itself.

The raftops counterpart of gardener etcd-backup-restore's validation before it lets etcd start (its data-dir
validator and member checks): a member must start only on its own data, only while its cluster still lists it. The
agent records the member it serves beside in ``<agent data_dir>/etcd-member.json`` (cluster ID, member ID, name);
the record lives outside etcd's data directory, so it survives a wiped data directory.

Before etcd starts (``python -m raftops.cluster.guard check``: etcd.service's ExecStartPre, and roles/server before it
starts etcd), a start is refused when:

* the record names a member but the etcd data directory has no write-ahead log: the member's data vanished. Started
  with ``initial-cluster-state existing`` it would rejoin as the same voter with an empty log (it may vote again in a
  term it already voted in; etcd 3.4 then panics on the leader's first heartbeat); with ``new`` it would found a
  second cluster.
* the write-ahead log belongs to another member or cluster than the record (data copied from elsewhere);
* the other members (``etcd.endpoints`` after the first) list their cluster without this member (it was removed), or
  all answer for another cluster;
* there is neither record nor data but the cluster lists a member with this server's peer address that has started
  (it has client URLs): the host lost everything while it was still a member.

When the agent starts (:func:`verify_local_member`), the running local member must be in the cluster its peers are in
and among its members, and in the cluster the record names; then the record is (re)written. A check that cannot
reach any other member passes: etcd itself refuses a removed member once its peers answer.

``python -m raftops.cluster.guard wal`` prints what the write-ahead log says (playbooks/recover_quorum.yml).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..store.members import ClusterMembers, EtcdError, Member
from . import etcdwal

log = logging.getLogger(__name__)

RECORD_FILE = "etcd-member.json"
PEER_TIMEOUT = 1.5  # per other member; a check that reaches nobody passes
RUNBOOK = "docs/runbooks/remove-a-server.md and docs/runbooks/add-a-server.md"


class GuardError(RuntimeError):
    """This member must not start or serve; the message says why and what to do."""


@dataclass(frozen=True)
class MemberIdentity:
    cluster_id: int
    member_id: int
    name: str = ""

    def as_json(self) -> dict[str, str]:
        return {"ClusterID": f"{self.cluster_id:x}", "MemberID": f"{self.member_id:x}", "Name": self.name}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MemberIdentity:
        return cls(int(data["ClusterID"], 16), int(data["MemberID"], 16), str(data.get("Name", "")))


def record_path(agent_data_dir: str | os.PathLike[str]) -> Path:
    return Path(agent_data_dir) / RECORD_FILE


def read_record(agent_data_dir: str | os.PathLike[str]) -> MemberIdentity | None:
    path = record_path(agent_data_dir)
    try:
        return MemberIdentity.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise GuardError(f"{path} is not a member record ({exc}); remove it if this host is not a member") from exc


def write_record(agent_data_dir: str | os.PathLike[str], identity: MemberIdentity) -> bool:
    """Write the record atomically; False when it already says the same."""
    path = record_path(agent_data_dir)
    try:
        if read_record(agent_data_dir) == identity:
            return False
    except GuardError:
        pass  # an unreadable record is replaced by the verified one
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as f:
        json.dump(identity.as_json(), f, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return True


@dataclass(frozen=True)
class PeerView:
    """What the other members answered: the cluster most of them (or the local one) belong to, and its members."""

    cluster_id: int
    members: list[Member] | None  # None when no voter of that cluster answered the member list
    endpoints: list[str]  # the endpoints that answered for cluster_id
    other_clusters: dict[str, int]  # endpoint -> cluster ID, for answers of another cluster

    def has_member(self, member_id: int) -> bool:
        return any(m.id == member_id for m in self.members or [])


def peer_view(
    etcd_cluster: ClusterMembers, endpoints: list[str], prefer_cluster: int | None = None, timeout: float = PEER_TIMEOUT
) -> PeerView | None:
    """Ask each of ``endpoints`` (the other members) for its cluster; None when none answers."""
    answers: dict[str, tuple[int, bool]] = {}
    for ep in endpoints:
        try:
            st = etcd_cluster.status(ep, timeout=timeout)
        except EtcdError as exc:
            log.debug("guard: %s did not answer: %s", ep, exc)
            continue
        answers[ep] = (st.cluster_id, st.is_learner)
    if not answers:
        return None
    counts: dict[int, int] = {}
    for cluster_id, _ in answers.values():
        counts[cluster_id] = counts.get(cluster_id, 0) + 1
    cluster = prefer_cluster if prefer_cluster in counts else max(counts, key=lambda c: counts[c])
    same = [ep for ep, (c, _) in answers.items() if c == cluster]
    members = None
    for ep in sorted(same, key=lambda e: answers[e][1]):  # voters first: a learner refuses the member list
        try:
            members = etcd_cluster.members_at(ep, timeout=timeout)
        except EtcdError as exc:
            log.debug("guard: %s did not list the members: %s", ep, exc)
            continue
        break
    others = {ep: c for ep, (c, _) in answers.items() if c != cluster}
    return PeerView(cluster, members, same, others)


def _peer_hostport(member: Member) -> set[str]:
    return {u.split("://", 1)[-1].rstrip("/") for u in member.peer_urls}


def check_before_start(
    etcd_data_dir: str,
    record: MemberIdentity | None,
    peers: Callable[[int | None], PeerView | None],
    peer_address: str = "",
) -> str:
    """Refuse (GuardError) a start of etcd that would bring back a removed or wiped member; else say what was found.

    ``peers(cluster_id)`` is :func:`peer_view` of the other members, preferring that cluster; ``peer_address`` is
    this member's advertised host:port.
    """
    wal = etcdwal.read(etcd_data_dir) if etcdwal.has_wal(etcd_data_dir) else None
    if record is not None and wal is None:
        raise GuardError(
            f"the etcd data directory {etcd_data_dir} has no write-ahead log, but this server was member "
            f"{record.member_id:x} ({record.name or 'unnamed'}) of cluster {record.cluster_id:x}: its data vanished. "
            "Starting etcd now would bring the member back without its log (or found a second cluster). Remove the "
            "member and wipe this server (playbooks/remove_server.yml), then add it again as a new server, or "
            f"replace it (playbooks/replace_server.yml); see {RUNBOOK}"
        )
    view = peers(wal.cluster_id if wal else (record.cluster_id if record else None))
    if wal is None:
        if view is not None and view.members is not None and peer_address:
            for m in view.members:
                if peer_address in _peer_hostport(m) and m.client_urls:
                    raise GuardError(
                        f"the etcd data directory {etcd_data_dir} is empty, but the cluster still lists member "
                        f"{m.id:x} ({m.name or 'unnamed'}) at this server's peer address {peer_address}, and that "
                        "member has run before: this host lost its data while it was a member. Remove the member "
                        f"first (playbooks/remove_server.yml), then add the host again; see {RUNBOOK}"
                    )
        return "no etcd data and no member record: a new member"
    if record is not None and (wal.member_id, wal.cluster_id) != (record.member_id, record.cluster_id):
        raise GuardError(
            f"the etcd data directory {etcd_data_dir} holds member {wal.member_id:x} of cluster {wal.cluster_id:x}, "
            f"but this server was member {record.member_id:x} of cluster {record.cluster_id:x}: the data is not "
            f"this member's. Put its own data back, or remove and wipe the member; see {RUNBOOK}"
        )
    if view is None:
        return f"member {wal.member_id:x} of cluster {wal.cluster_id:x}; no other member answered, nothing to compare"
    if view.cluster_id != wal.cluster_id:
        raise GuardError(
            f"this server's etcd data is member {wal.member_id:x} of cluster {wal.cluster_id:x}, but the other members "
            f"({', '.join(view.endpoints)}) belong to cluster {view.cluster_id:x}: the cluster was rebuilt without "
            f"this member (disaster recovery?). Wipe this server and add it as a new server; see {RUNBOOK}"
        )
    if view.members is not None and not view.has_member(wal.member_id):
        raise GuardError(
            f"member {wal.member_id:x} was removed from cluster {wal.cluster_id:x} (the members "
            f"{', '.join(view.endpoints)} no longer list it): its data must not come back. Wipe this server "
            f"(playbooks/remove_server.yml) and add it again as a new server; see {RUNBOOK}"
        )
    return f"member {wal.member_id:x} of cluster {wal.cluster_id:x}, listed by {', '.join(view.endpoints)}"


def verify_local_member(
    etcd_cluster: ClusterMembers, endpoints: list[str], agent_data_dir: str, name: str
) -> MemberIdentity:
    """The agent's check at start: the running local member (``endpoints[0]``) still belongs where it did.

    Writes the record when the checks pass and returns the member's identity.
    """
    local = etcd_cluster.status(endpoints[0])
    record = read_record(agent_data_dir) if agent_data_dir else None
    if record is not None and record.cluster_id != local.cluster_id:
        raise GuardError(
            f"the local etcd member {local.member_id:x} belongs to cluster {local.cluster_id:x}, but this server was "
            f"member {record.member_id:x} of cluster {record.cluster_id:x}: its etcd was bootstrapped anew. Stop it, "
            f"wipe this server and add it as a new server; if the new cluster is deliberate (a disaster recovery), "
            f"remove {record_path(agent_data_dir)}; see {RUNBOOK}"
        )
    view = peer_view(etcd_cluster, endpoints[1:], local.cluster_id)
    if view is not None and view.cluster_id != local.cluster_id:
        raise GuardError(
            f"the local etcd member {local.member_id:x} belongs to cluster {local.cluster_id:x}, but its peers "
            f"({', '.join(view.endpoints)}) belong to cluster {view.cluster_id:x}: two clusters where there should be "
            f"one. Stop etcd here, wipe this server and add it as a new server; see {RUNBOOK}"
        )
    if view is not None and view.members is not None and not view.has_member(local.member_id):
        raise GuardError(
            f"the local etcd member {local.member_id:x} is not a member of cluster {local.cluster_id:x} any more (the "
            f"members {', '.join(view.endpoints)} do not list it): it was removed. Wipe this server and add it "
            f"again as a new server; see {RUNBOOK}"
        )
    identity = MemberIdentity(local.cluster_id, local.member_id, name)
    if agent_data_dir and write_record(agent_data_dir, identity):
        log.info("recorded etcd member %x of cluster %x in %s", identity.member_id, identity.cluster_id, RECORD_FILE)
    return identity


def _peer_address(config: Any) -> str:
    """This member's host:port as its peers list it (advertise.raft in agent.yaml)."""
    return str(config.advertise_raft or "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m raftops.cluster.guard", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="refuse to start etcd on a removed member or one whose data vanished")
    check.add_argument("--config", required=True, help="the agent's configuration (etcd endpoints, TLS, data_dir)")
    check.add_argument("--etcd-data-dir", required=True)
    wal = sub.add_parser("wal", help="print the write-ahead log's member, cluster and raft position as JSON")
    wal.add_argument("--etcd-data-dir", required=True)
    args = parser.parse_args(argv)

    if args.command == "wal":
        try:
            state = etcdwal.read(args.etcd_data_dir)
        except (etcdwal.WALError, OSError) as exc:
            print(f"raftops guard: {exc}", file=sys.stderr)
            return 1
        json.dump(state.as_dict(), sys.stdout, sort_keys=True)
        print()
        return 0

    from ..config import Config, ConfigError

    try:
        config = Config.load(args.config)
    except (ConfigError, OSError) as exc:
        print(f"raftops guard: {exc}", file=sys.stderr)
        return 2
    etcd_cluster = ClusterMembers.connect(
        config.etcd_endpoints, tls=config.etcd_tls.as_dict() if config.etcd_tls.configured else None
    )
    try:
        found = check_before_start(
            args.etcd_data_dir,
            read_record(config.data_dir),
            lambda cluster_id: peer_view(etcd_cluster, config.etcd_endpoints[1:], cluster_id),
            _peer_address(config),
        )
    except GuardError as exc:
        print(f"raftops guard: refusing to start etcd: {exc}", file=sys.stderr)
        return 1
    except (etcdwal.WALError, OSError) as exc:
        print(f"raftops guard: refusing to start etcd: cannot read {args.etcd_data_dir}: {exc}", file=sys.stderr)
        return 1
    finally:
        etcd_cluster.close()
    print(f"raftops guard: {found}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
