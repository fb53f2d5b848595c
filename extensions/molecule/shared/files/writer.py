"""Bounded variable writer of the Molecule scenarios (runs on the controller, standard library only).

Writes ``--keys`` variables round-robin through the agents' HTTP API (``PUT /v1/var/<path>``) until the stop file
appears, ``--max-seconds`` pass or ``--max-writes`` writes were sent, whichever comes first. Each write carries a new
sequence number. The agents are ``--url`` (repeated), or the lines of ``--url-file``, read again whenever the file
changes (a scenario that adds and removes servers rewrites it). The outcome of every write is recorded:

* acknowledged (HTTP 2xx): the value is the key's new *last acknowledged value*;
* refused before it could apply (connection refused, HTTP 4xx): nothing changed, the next agent is tried;
* uncertain (timeout, connection reset, HTTP 5xx): it may or may not have applied; its value is kept in the key's
  ``uncertain`` list, since the verifier must accept it as a final value too.

With ``--ca-file`` the agents are reached over HTTPS and verified with that trust bundle, read again whenever the file
changes: a certificate rotation replaces it (old and new CA, then the new CA only) while the writer runs. A failed
certificate check means the request never reached the agent, so it counts as refused.

The record is written as JSON to ``--out`` when the writer ends (also on SIGTERM); it also holds the longest time
between two acknowledged writes (``longest_gap_seconds``), which stays short while the cluster keeps its quorum.

Checkpoints (``--pause-file``): while that file exists the writer sends nothing; it writes the record so far to
``--out`` and then ``<pause-file>.ack``, so a verifier can compare every write acknowledged until then with the
cluster, exactly; removing the pause file resumes the writes. The time paused does not count as a gap.
"""

import argparse
import json
import os
import random
import signal
import ssl
import string
import sys
import time
import urllib.error
import urllib.request


class Stop(Exception):
    """SIGTERM: write the record and leave."""


def on_term(_signum, _frame):
    raise Stop


class TrustBundle:
    """An SSL context from a CA file, rebuilt when the file's content changes (None without a file)."""

    def __init__(self, path):
        self.path = path
        self.stamp = None
        self.context = None

    def get(self):
        if not self.path:
            return None
        st = os.stat(self.path)
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp != self.stamp:
            self.context = ssl.create_default_context(cafile=self.path)
            self.stamp = stamp
        return self.context


def put(url, token, path, items, timeout, context=None):
    body = json.dumps({"Namespace": "default", "Path": path, "Items": items}).encode()
    req = urllib.request.Request(f"{url}/v1/var/{path}", data=body, method="PUT")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Nomad-Token", token)
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            resp.read()
            return "acked", resp.status
    except urllib.error.HTTPError as exc:
        exc.read()
        return ("refused" if exc.code < 500 else "uncertain"), exc.code
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ConnectionRefusedError):
            return "refused", "connection refused"
        if isinstance(exc.reason, ssl.SSLCertVerificationError):
            # The handshake failed before the request was sent: it cannot have applied.
            return "refused", f"certificate verify failed: {exc.reason.verify_message}"
        return "uncertain", repr(exc.reason)
    except (TimeoutError, ConnectionError, OSError) as exc:
        return "uncertain", repr(exc)


class Agents:
    """The agents' URLs: fixed, or the lines of a file, read again when it changes."""

    def __init__(self, urls, path):
        self.urls = list(urls or [])
        self.path = path
        self.stamp = None

    def get(self):
        if self.path:
            st = os.stat(self.path)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            if stamp != self.stamp:
                with open(self.path) as f:
                    self.urls = [line.strip() for line in f if line.strip()]
                self.stamp = stamp
        return self.urls


def dump(record, path):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(record, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def pause(args, record):
    """Hold still while the pause file exists: the record so far on disk, then the acknowledgement."""
    dump(record, args.out)
    ack = args.pause_file + ".ack"
    with open(ack, "w") as f:
        f.write(f"{record['counts']['acked']}\n")
    while os.path.exists(args.pause_file) and not os.path.exists(args.stop_file):
        time.sleep(0.1)
    os.remove(ack)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", action="append", default=[], help="an agent's base URL (repeat for each)")
    parser.add_argument("--url-file", default="", help="a file of agent URLs, one a line, read again when it changes")
    parser.add_argument("--pause-file", default="", help="while it exists: no writes, the record so far in --out")
    parser.add_argument("--token-file", default="")
    parser.add_argument("--out", required=True)
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--prefix", default="rolling-restart")
    parser.add_argument("--keys", type=int, default=40)
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--max-writes", type=int, default=50000)
    parser.add_argument("--interval", type=float, default=0.02, help="pause between writes (leave CPU to the cluster)")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--ca-file", default="", help="trust bundle for https agents (re-read when it changes)")
    parser.add_argument("--pid-file", default="", help="write this process's PID there (a later run stops a leftover)")
    args = parser.parse_args()
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write(f"{os.getpid()}\n")
    if not args.url and not args.url_file:
        parser.error("give --url (repeated) or --url-file")
    bundle = TrustBundle(args.ca_file)
    agents = Agents(args.url, args.url_file)

    token = ""
    if args.token_file:
        with open(args.token_file) as f:
            token = f.read().strip()
    signal.signal(signal.SIGTERM, on_term)

    record = {
        "started_wall": time.time(),
        "started_monotonic": time.monotonic(),
        "acked": {},
        "uncertain": {},
        "counts": {"sent": 0, "acked": 0, "refused": 0, "uncertain": 0},
        "errors": {},
        "stopped_by": "",
        "longest_gap_seconds": 0.0,
    }
    last_ack = None
    rng = random.Random(4646)
    start = time.monotonic()
    agent = 0
    seq = 0
    try:
        while True:
            if os.path.exists(args.stop_file):
                record["stopped_by"] = "stop file"
                break
            if time.monotonic() - start >= args.max_seconds:
                record["stopped_by"] = "max seconds"
                break
            if seq >= args.max_writes:
                record["stopped_by"] = "max writes"
                break
            if args.pause_file and os.path.exists(args.pause_file):
                pause(args, record)
                last_ack = None  # a checkpoint is not a gap in the cluster's service
                continue
            urls = agents.get()
            if not urls:
                time.sleep(args.interval)
                continue
            seq += 1
            path = f"{args.prefix}/k{seq % args.keys:03d}"
            alphabet = string.ascii_letters + string.digits + " -_/"
            filler = "".join(rng.choice(alphabet) for _pos in range(rng.randint(0, 64)))
            value = f"{seq}:{filler}"
            # A refused write never applied: try the next agent with the same value, a bounded number of times.
            for _attempt in range(len(urls)):
                agent %= len(urls)
                outcome, detail = put(
                    urls[agent], token, path, {"seq": str(seq), "value": value}, args.timeout, bundle.get()
                )
                record["counts"]["sent"] += 1
                if outcome != "acked":
                    key = f"{outcome}: {detail}"
                    record["errors"][key] = record["errors"].get(key, 0) + 1
                if outcome == "refused":
                    record["counts"]["refused"] += 1
                    agent = (agent + 1) % len(urls)
                    continue
                break
            if outcome == "acked":
                record["counts"]["acked"] += 1
                record["acked"][path] = {"seq": seq, "value": value}
                now = time.monotonic()
                if last_ack is not None:
                    record["longest_gap_seconds"] = round(max(record["longest_gap_seconds"], now - last_ack), 2)
                last_ack = now
            elif outcome == "uncertain":
                record["counts"]["uncertain"] += 1
                record["uncertain"].setdefault(path, []).append(value)
                agent = (agent + 1) % len(urls)
            time.sleep(args.interval)
    except Stop:
        record["stopped_by"] = "SIGTERM"
    record["ended_wall"] = time.time()
    record["seconds"] = round(time.monotonic() - start, 1)
    dump(record, args.out)
    json.dump({k: record[k] for k in ("counts", "seconds", "stopped_by", "longest_gap_seconds")}, sys.stdout)
    print()
    return 0 if record["counts"]["acked"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
