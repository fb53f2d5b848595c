"""Bounded variable writer for the rolling_restart scenario (runs on the controller, standard library only).

Writes ``--keys`` variables round-robin through the agents' HTTP API (``PUT /v1/var/<path>``) until the stop file
appears, ``--max-seconds`` pass or ``--max-writes`` writes were sent, whichever comes first. Each write carries a new
sequence number. The outcome of every write is recorded:

* acknowledged (HTTP 2xx): the value is the key's new *last acknowledged value*;
* refused before it could apply (connection refused, HTTP 4xx): nothing changed, the next agent is tried;
* uncertain (timeout, connection reset, HTTP 5xx): it may or may not have applied; its value is kept in the key's
  ``uncertain`` list, since the verifier must accept it as a final value too.

The record is written as JSON to ``--out`` when the writer ends (also on SIGTERM).
"""

import argparse
import json
import os
import random
import signal
import string
import sys
import time
import urllib.error
import urllib.request


class Stop(Exception):
    """SIGTERM: write the record and leave."""


def on_term(_signum, _frame):
    raise Stop


def put(url, token, path, items, timeout):
    body = json.dumps({"Namespace": "default", "Path": path, "Items": items}).encode()
    req = urllib.request.Request(f"{url}/v1/var/{path}", data=body, method="PUT")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Nomad-Token", token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            resp.read()
            return "acked", resp.status
    except urllib.error.HTTPError as exc:
        exc.read()
        return ("refused" if exc.code < 500 else "uncertain"), exc.code
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ConnectionRefusedError):
            return "refused", "connection refused"
        return "uncertain", repr(exc.reason)
    except (TimeoutError, ConnectionError, OSError) as exc:
        return "uncertain", repr(exc)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", action="append", required=True, help="an agent's base URL (repeat for each)")
    parser.add_argument("--token-file", default="")
    parser.add_argument("--out", required=True)
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--prefix", default="rolling-restart")
    parser.add_argument("--keys", type=int, default=40)
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--max-writes", type=int, default=50000)
    parser.add_argument("--interval", type=float, default=0.02, help="pause between writes (leave CPU to the cluster)")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()

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
    }
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
            seq += 1
            path = f"{args.prefix}/k{seq % args.keys:03d}"
            alphabet = string.ascii_letters + string.digits + " -_/"
            filler = "".join(rng.choice(alphabet) for _pos in range(rng.randint(0, 64)))
            value = f"{seq}:{filler}"
            # A refused write never applied: try the next agent with the same value, a bounded number of times.
            for _attempt in range(len(args.url)):
                outcome, detail = put(args.url[agent], token, path, {"seq": str(seq), "value": value}, args.timeout)
                record["counts"]["sent"] += 1
                if outcome != "acked":
                    key = f"{outcome}: {detail}"
                    record["errors"][key] = record["errors"].get(key, 0) + 1
                if outcome == "refused":
                    record["counts"]["refused"] += 1
                    agent = (agent + 1) % len(args.url)
                    continue
                break
            if outcome == "acked":
                record["counts"]["acked"] += 1
                record["acked"][path] = {"seq": seq, "value": value}
            elif outcome == "uncertain":
                record["counts"]["uncertain"] += 1
                record["uncertain"].setdefault(path, []).append(value)
                agent = (agent + 1) % len(args.url)
            time.sleep(args.interval)
    except Stop:
        record["stopped_by"] = "SIGTERM"
    record["ended_wall"] = time.time()
    record["seconds"] = round(time.monotonic() - start, 1)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(record, f, indent=1, sort_keys=True)
    os.replace(tmp, args.out)
    json.dump({k: record[k] for k in ("counts", "seconds", "stopped_by")}, sys.stdout)
    print()
    return 0 if record["counts"]["acked"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
