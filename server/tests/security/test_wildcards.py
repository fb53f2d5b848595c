"""Wildcard patterns cost linear time, whatever a client puts in them.

The finding: ``GET /_plugins/_sm/policies?queryString=*a*a*a*a*a*a*a*a*a*a*b`` took ~10 s (a regular
expression built from the query backtracked; x3.5 per extra ``*``), long enough for the agent to miss
its heartbeat. Here, against a real agent: 12 wildcards over long policy names answer in well under
100 ms, as do the other pattern endpoints (``_explain``, ``GET /_snapshot/<patterns>``, snapshot name
patterns); and the matcher itself is checked against a reference on random patterns.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from raftops.sm import wildcard as wildcard_module
from raftops.sm.wildcard import Wildcard, simple_match

from .helpers import SM, Target, running

STARS_12 = "*a" * 12 + "*b"  # 12 wildcards, and no name ends with "b": every match attempt fails late
NAMES = 40
LONG = 200


@pytest.fixture(scope="module")
def target(cluster_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    repos = tmp_path_factory.mktemp("wildcard-repos")
    with running(cluster_root, "wildcards", {"sm": {"path_repo": [str(repos)]}}) as t:
        policy = {
            "enabled": False,
            "creation": {"schedule": {"cron": {"expression": "0 8 * * *", "timezone": "UTC"}}},
            "snapshot_config": {"repository": "r"},
        }
        for i in range(NAMES):
            t.ok("POST", f"{SM}/{'a' * LONG}-{i:03d}", policy, 201)
        for i in range(4):
            repo = f"{'a' * LONG}-r{i}"
            t.ok("PUT", f"/_snapshot/{repo}", {"type": "fs", "settings": {"location": str(repos / f"r{i}")}})
        for i in range(8):
            t.ok("PUT", f"/_snapshot/{'a' * LONG}-r0/{'a' * 200}-s{i}", params={"wait_for_completion": "true"})
        yield t


# Not a speed target (bench/hostile.py measures that: under 100 ms): a backstop far above any load's noise that a
# backtracking matcher, minutes long on these inputs, cannot pass. Linearity itself is counted in
# test_the_matcher_is_linear.
BLOWUP = 5.0


def best_of(t: Target, path: str, params: dict[str, str] | None = None, tries: int = 5) -> tuple[float, dict]:
    """The fastest of ``tries`` answers (seconds), and the last body: what the server costs, not the machine's noise."""
    times = []
    body = {}
    for _ in range(tries):
        started = time.perf_counter()
        resp = t.request("GET", path, params=params)
        times.append(time.perf_counter() - started)
        assert resp.status_code == 200, resp.text[:300]
        body = resp.json()
    return min(times), body


def test_twelve_wildcards_in_the_sm_query_string(target: Target) -> None:
    elapsed, body = best_of(target, SM, {"queryString": STARS_12, "size": "100"})
    print(f"GET {SM}?queryString={STARS_12} over {NAMES} names of {LONG + 4} characters: {elapsed * 1000:.1f} ms")
    assert body["total_policies"] == 0
    assert elapsed < BLOWUP
    elapsed, body = best_of(target, SM, {"queryString": "*a" * 12 + "*", "size": "100"})
    assert body["total_policies"] == NAMES and elapsed < BLOWUP
    elapsed, body = best_of(target, SM, {"queryString": "*" + "?" * 150 + "*a*a*a*a*b", "size": "100"})
    assert body["total_policies"] == 0 and elapsed < BLOWUP
    many = "+OR+".join("*a*a*a*a*a*a*a*a*a*a*a*a*c" for _ in range(500))  # 500 clauses of 12 wildcards
    elapsed, body = best_of(target, SM, {"queryString": many}, tries=2)
    assert body["total_policies"] == 0 and elapsed < BLOWUP, elapsed


def test_other_pattern_endpoints(target: Target) -> None:
    elapsed, body = best_of(target, f"{SM}/{STARS_12},{'*a' * 12 + '*9'}/_explain")
    assert [p["name"].endswith("9") for p in body["policies"]] == [True] * 4 and elapsed < BLOWUP
    elapsed, body = best_of(target, f"/_snapshot/{STARS_12},{'*a' * 12 + '*r1'}")
    assert list(body) == [f"{'a' * LONG}-r1"] and elapsed < BLOWUP
    elapsed, body = best_of(target, f"/_snapshot/{'a' * LONG}-r0/{'*a' * 12 + '*s3'},{STARS_12}")
    assert [s["snapshot"] for s in body["snapshots"]] == [f"{'a' * 200}-s3"] and elapsed < BLOWUP


def reference(pattern: str, text: str) -> bool:
    """Lucene wildcard semantics through a regular expression (for small inputs only)."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
        i += 1
    return re.fullmatch("".join(out), text, re.DOTALL) is not None


def test_the_matcher_agrees_with_a_reference() -> None:
    rng = random.Random(12)
    for _ in range(20_000):
        pattern = "".join(rng.choice("ab*?\\") for _ in range(rng.randint(0, 8)))
        text = "".join(rng.choice("ab*?\\") for _ in range(rng.randint(0, 10)))
        assert Wildcard(pattern).fullmatch(text) == reference(pattern, text), (pattern, text)
        simple = pattern.replace("?", "").replace("\\", "")
        assert simple_match(simple, text) == reference(simple, text)


def test_the_matcher_is_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    # No backtracking: each piece between two "*" is searched for at most once, left to right, whatever the
    # text. (Counted, not timed: a regular-expression engine needs x3.5 per extra "*" on these inputs.)
    searches = 0
    original_find = wildcard_module._Piece.find

    def counting_find(piece: object, text: str, start: int, end: int) -> int:
        nonlocal searches
        searches += 1
        return original_find(piece, text, start, end)

    monkeypatch.setattr(wildcard_module._Piece, "find", counting_find)
    text = "a" * 100_000
    for pattern in ("*a" * 50 + "*b", "*a" * 1000 + "*b", "*" + "?" * 500 + "*b", "*ab*" * 200, "*a*" * 12 + "b"):
        searches = 0
        compiled = Wildcard(pattern)
        assert not compiled.fullmatch(text)
        assert searches <= 2 * pattern.count("*"), (pattern[:40], searches)
