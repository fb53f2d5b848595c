"""Check the writer's record against the cluster (controller side, standard library only).

For every variable the writer got an acknowledgement for, the cluster must hold it, and its value must be the last
acknowledged one; the only other value accepted is one of the key's uncertain writes (sent, no answer), which may
have applied. Prints a JSON summary; exits 1 when a write was lost.
"""

import argparse
import json
import ssl
import sys
import urllib.error
import urllib.request


def get(url, token, path, context=None):
    req = urllib.request.Request(f"{url}/v1/var/{path}")
    if token:
        req.add_header("X-Nomad-Token", token)
    try:
        with urllib.request.urlopen(req, timeout=10, context=context) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--token-file", default="")
    parser.add_argument("--record", required=True)
    parser.add_argument("--ca-file", default="", help="trust bundle for an https agent")
    args = parser.parse_args()
    context = ssl.create_default_context(cafile=args.ca_file) if args.ca_file else None
    token = ""
    if args.token_file:
        with open(args.token_file) as f:
            token = f.read().strip()
    with open(args.record) as f:
        record = json.load(f)

    exact, uncertain_applied, lost = 0, [], []
    for path, last in sorted(record["acked"].items()):
        var = get(args.url, token, path, context)
        value = None if var is None else var["Items"].get("value")
        if value == last["value"]:
            exact += 1
        elif value in record["uncertain"].get(path, []) and int(value.split(":", 1)[0]) > last["seq"]:
            uncertain_applied.append(path)
        else:
            lost.append({"path": path, "expected": last["value"], "found": value})
    summary = {
        "acknowledged_keys": len(record["acked"]),
        "acknowledged_writes": record["counts"]["acked"],
        "exact": exact,
        "uncertain_write_applied_later": uncertain_applied,
        "lost": lost,
        "writer": {k: record.get(k) for k in ("counts", "errors", "seconds", "stopped_by", "longest_gap_seconds")},
    }
    json.dump(summary, sys.stdout, sort_keys=True)
    print()
    return 0 if not lost and record["counts"]["acked"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
