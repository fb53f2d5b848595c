"""Known data set for the disaster_recovery scenario (runs on the controller, standard library only).

``write``: writes ``--count`` variables with varied content (1-6 items; ASCII, UTF-8 in several scripts, control
characters, JSON-looking and empty strings, values up to 16 KiB, nested paths) through the HTTP API and saves
what it wrote, with each variable's CreateTime and ModifyTime as the API answered them, to ``--data``.

``check``: reads every variable of ``--data`` back and compares its items byte for byte (the UTF-8 bytes of every
key and value) and its CreateTime/ModifyTime; also checks that the cluster holds no other variable under the
prefix. Prints a JSON summary; exits 1 on any difference.
"""

import argparse
import json
import random
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

PREFIX = "dr"

SAMPLES = [
    "plain ascii",
    "",
    " leading and trailing spaces ",
    "line one\nline two\r\nline three\ttabbed",
    "unicode: caf\u00e9 na\u00efve \u00fcber \u00df",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8",
    "\u0440\u0443\u0441\u0441\u043a\u0438\u0439 \u0442\u0435\u043a\u0441\u0442",
    "emoji \U0001f680\U0001f9ea\u2705",
    '{"json": ["looking", 1, true, null]}',
    "quotes ' \" ` and backslashes \\ \\\\",
    "control \u0001\u0002\u001f chars",
    "<html>&amp;</html>",
    "0",
    "false",
]


CONTEXT = None  # an SSL context with --ca-file, for agents on HTTPS


def request(method, url, token, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("X-Nomad-Token", token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=15, context=CONTEXT) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def make_items(rng, i):
    items = {}
    for n in range(rng.randint(1, 6)):
        kind = rng.random()
        if kind < 0.55:
            value = rng.choice(SAMPLES)
        elif kind < 0.9:
            value = "".join(chr(rng.choice([rng.randint(32, 126), rng.randint(160, 0x2FFF)])) for _pos in range(64))
        else:
            size = rng.randint(1024, 16384)
            value = f"big-{i}-" + "".join(rng.choice("abcdefghij0123456789") for _pos in range(size))
        items[f"key_{n}" if n % 2 else f"k-{n}.{i}"] = value
    return items


def write(args, token):
    rng = random.Random(args.seed)
    data = {}
    for i in range(args.count):
        path = f"{PREFIX}/set-{i:03d}" if i % 3 else f"{PREFIX}/app{i % 7}/svc_{i}/conf~{i}"
        items = make_items(rng, i)
        body = {"Namespace": "default", "Path": path, "Items": items}
        for _attempt in range(5):
            status, answer = request("PUT", f"{args.url}/v1/var/{path}", token, body)
            if status == 200:
                break
            time.sleep(1)
        else:
            print(f"writing {path}: HTTP {status} {answer}", file=sys.stderr)
            return 1
        data[path] = {"Items": items, "CreateTime": answer["CreateTime"], "ModifyTime": answer["ModifyTime"]}
    with open(args.data, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=True, sort_keys=True)
    json.dump({"written": len(data)}, sys.stdout)
    print()
    return 0


def as_bytes(items):
    return sorted((k.encode("utf-8"), v.encode("utf-8")) for k, v in items.items())


def check(args, token):
    with open(args.data, encoding="utf-8") as f:
        data = json.load(f)
    equal, different = 0, []
    for path, want in sorted(data.items()):
        status, got = request("GET", f"{args.url}/v1/var/{path}", token)
        if status != 200:
            different.append({"path": path, "problem": f"HTTP {status}"})
            continue
        if as_bytes(got["Items"]) != as_bytes(want["Items"]):
            different.append({"path": path, "problem": "items differ"})
        elif (got["CreateTime"], got["ModifyTime"]) != (want["CreateTime"], want["ModifyTime"]):
            different.append({"path": path, "problem": "times differ"})
        else:
            equal += 1
    status, listed = request("GET", f"{args.url}/v1/vars?prefix={urllib.parse.quote(PREFIX + '/')}", token)
    extra = sorted({v["Path"] for v in listed} - set(data)) if status == 200 else [f"HTTP {status}"]
    summary = {"expected": len(data), "equal": equal, "different": different[:20], "extra": extra[:20]}
    json.dump(summary, sys.stdout)
    print()
    return 0 if equal == len(data) and not different and not extra else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["write", "check"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=19999)
    parser.add_argument("--ca-file", default="", help="trust bundle for an https agent")
    args = parser.parse_args()
    global CONTEXT
    if args.ca_file:
        CONTEXT = ssl.create_default_context(cafile=args.ca_file)
    with open(args.token_file) as f:
        token = f.read().strip()
    return write(args, token) if args.action == "write" else check(args, token)


if __name__ == "__main__":
    sys.exit(main())
