"""``raftops operator scheduler get-config | set-config``, like ``nomad operator scheduler``.

set-config reads the current configuration, merges the flags given, and writes it back with CAS
on the ModifyIndex it read (or on ``-check-index``), so a concurrent change is never overwritten.
"""

from __future__ import annotations

import argparse
import sys

from ..apiclient import APIClient, APIError
from ..cluster.configs import SCHEDULER
from . import add_client_flags
from .configflags import add_config_flags, apply_config_flags, uint
from .output import format_kv, print_json

PATH = "/v1/operator/scheduler/configuration"


def format_config(conf: dict) -> str:
    pre = conf["PreemptionConfig"]
    return format_kv(
        [
            ("Scheduler Algorithm", conf["SchedulerAlgorithm"]),
            ("Memory Oversubscription", conf["MemoryOversubscriptionEnabled"]),
            ("Reject Job Registration", conf["RejectJobRegistration"]),
            ("Pause Eval Broker", conf["PauseEvalBroker"]),
            ("Preemption System Scheduler", pre["SystemSchedulerEnabled"]),
            ("Preemption Service Scheduler", pre["ServiceSchedulerEnabled"]),
            ("Preemption Batch Scheduler", pre["BatchSchedulerEnabled"]),
            ("Preemption SysBatch Scheduler", pre["SysBatchSchedulerEnabled"]),
            ("Node Limit For Feasibility Checks", conf.get("NodeLimitForFeasibilityChecks", 0)),
            ("Modify Index", conf["ModifyIndex"]),
        ]
    )


def get_config(args: argparse.Namespace) -> int:
    try:
        reply = APIClient(args.address, args.token).get(PATH)
    except APIError as exc:
        print(f"Error querying scheduler configuration: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print_json(reply)
    else:
        print(format_config(reply["SchedulerConfig"]))
    return 0


def set_config(args: argparse.Namespace) -> int:
    client = APIClient(args.address, args.token)
    try:
        conf = client.get(PATH)["SchedulerConfig"]
    except APIError as exc:
        print(f"Error querying for scheduler configuration: {exc}", file=sys.stderr)
        return 1
    if args.check_index is not None and args.check_index > 0 and conf["ModifyIndex"] != args.check_index:
        print(
            f"Error performing check index set: check-index {args.check_index} does not match does not match "
            f"current state value {conf['ModifyIndex']}",
            file=sys.stderr,
        )
        return 1
    apply_config_flags(conf, args, SCHEDULER)
    try:
        result = client.put(PATH, conf, query={"cas": conf["ModifyIndex"]})
    except APIError as exc:
        print(f"Error setting scheduler configuration: {exc}", file=sys.stderr)
        return 1
    if result["Updated"]:
        print("Scheduler configuration updated!")
        return 0
    print("Scheduler configuration could not be atomically updated, please try again")
    return 1


def register(sub: argparse._SubParsersAction, operator_sub: argparse._SubParsersAction) -> None:
    scheduler = operator_sub.add_parser("scheduler", help="scheduler configuration")
    scheduler_sub = scheduler.add_subparsers(dest="scheduler_command", required=True)

    get = scheduler_sub.add_parser("get-config", help="display the current scheduler configuration")
    add_client_flags(get)
    get.add_argument("-json", "--json", action="store_true", help="output the configuration as JSON")
    get.set_defaults(func=get_config)

    put = scheduler_sub.add_parser("set-config", help="modify the scheduler configuration (check-and-set)")
    add_client_flags(put)
    put.add_argument("-check-index", "--check-index", dest="check_index", type=uint, help="CAS index to compare")
    add_config_flags(put, SCHEDULER)
    put.set_defaults(func=set_config)
