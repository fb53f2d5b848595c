"""What the SM service uses of the agent that builds it (raftops.agent, the composition root)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..config import Config
    from ..store.state import StateStore


class SMHost(Protocol):
    config: Config  # sm_test_clock, sm_path_repo, sm_s3, data_dir
    state: StateStore
    is_duty_holder: bool  # the executor runs only in the agent that holds the cluster duties
