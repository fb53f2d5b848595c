"""OpenSearch notifications plugin, webhook channels: ``/_plugins/_notifications/configs``.

``POST`` creates (``{"config_id"?, "config": {"name", "description", "config_type": "webhook",
"is_enabled", "webhook": {"url", "header_params", "method"}}}`` -> ``{"config_id"}``), ``PUT .../<id>``
replaces, ``GET`` lists (``config_id``, ``config_id_list``, ``from_index``, ``max_items``, ``sort_field``,
``sort_order`` and the ``config_type``/``is_enabled``/``name``/``description``/``webhook.url`` filters)
or reads one, ``DELETE .../<id>`` or ``DELETE ...?config_id_list=`` removes. SM policies name a
channel in ``notification.channel.id``.

ACL (when enabled): reads need ``operator:read``, writes ``operator:write``.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from .. import acl
from ..sm.notifications import Channel, not_found
from .context import WithSM, bind
from .http import App
from .opensearch import (
    check_params,
    illegal_argument,
    method_not_allowed,
    object_body,
    opensearch_handler,
    param_long,
)

BASE = "/_plugins/_notifications/configs"
DEFAULT_MAX_ITEMS = 100
FILTERS = ("config_type", "is_enabled", "name", "description", "webhook.url")
LIST_PARAMS = ("config_id", "config_id_list", "from_index", "max_items", "sort_field", "sort_order", *FILTERS)
SORT_FIELDS = {
    "config_id": lambda c: c.config_id,
    "name": lambda c: c.config.get("name", ""),
    "config_type": lambda c: c.config.get("config_type", ""),
    "last_updated_time_ms": lambda c: c.last_updated_time_ms,
    "created_time_ms": lambda c: c.created_time_ms,
    "is_enabled": lambda c: c.config.get("is_enabled", True),
}


def _result(channels: list[Channel], start: int = 0, total: int | None = None) -> dict[str, Any]:
    return {
        "start_index": start,
        "total_hits": len(channels) if total is None else total,
        "total_hit_relation": "eq",
        "config_list": [c.info() for c in channels],
    }


def _matches(channel: Channel, filters: dict[str, str]) -> bool:
    cfg = channel.config
    for key, value in filters.items():
        wanted = [v.strip() for v in value.split(",") if v.strip()]
        if key == "config_type" and cfg.get("config_type") not in wanted:
            return False
        if key == "is_enabled" and str(cfg.get("is_enabled", True)).lower() != value.lower():
            return False
        text = {"name": cfg.get("name", ""), "description": cfg.get("description", "")}.get(key)
        if key == "webhook.url":
            text = (cfg.get("webhook") or {}).get("url", "")
        if text is not None and not any(w.lower() in str(text).lower() for w in wanted):
            return False
    return True


def now(ctx: WithSM) -> int:
    ctx.sm.clock.refresh()
    return ctx.sm.clock.now_ms()


def create(request: Request, ctx: WithSM) -> Any:
    acl.authorize(ctx, request, acl.OPERATOR_WRITE)
    body = object_body(request)
    check_params(request, ())
    return {"config_id": ctx.sm.notifications.create(body, now(ctx))}


def update(request: Request, ctx: WithSM, config_id: str) -> Any:
    acl.authorize(ctx, request, acl.OPERATOR_WRITE)
    body = object_body(request)
    check_params(request, ())
    return {"config_id": ctx.sm.notifications.update(config_id, body, now(ctx))}


def get_one(request: Request, ctx: WithSM, config_id: str) -> Any:
    acl.authorize(ctx, request, acl.OPERATOR_READ)
    check_params(request, ())
    channel = ctx.sm.notifications.get(config_id)
    if channel is None:
        raise not_found(config_id)
    return _result([channel])


def get_many(request: Request, ctx: WithSM) -> Any:
    acl.authorize(ctx, request, acl.OPERATOR_READ)
    ids = []
    if request.args.get("config_id"):
        ids.append(request.args["config_id"])
    ids += [i for i in request.args.get("config_id_list", "").split(",") if i]
    start = param_long(request, "from_index", 0, kind="int") or 0
    max_items = param_long(request, "max_items", DEFAULT_MAX_ITEMS, kind="int") or 0
    sort_field = request.args.get("sort_field", "config_id")
    sort_order = request.args.get("sort_order", "asc").lower()
    check_params(request, LIST_PARAMS)
    if sort_order not in ("asc", "desc"):
        raise illegal_argument(f"Unknown SortOrder [{request.args.get('sort_order')}]")
    if sort_field not in SORT_FIELDS:
        raise illegal_argument(f"Invalid sort_field [{sort_field}]")
    if ids:
        unique = list(dict.fromkeys(ids))
        found = [ctx.sm.notifications.get(i) for i in unique]
        absent = [i for i, c in zip(unique, found, strict=True) if c is None]
        if absent:
            if len(unique) == 1:
                raise not_found(unique[0])
            raise not_found("[" + ", ".join(absent) + "]")
        return _result([c for c in found if c is not None])
    filters = {k: request.args[k] for k in FILTERS if k in request.args}
    channels = [c for c in ctx.sm.notifications.list() if _matches(c, filters)]
    channels.sort(key=SORT_FIELDS[sort_field], reverse=sort_order == "desc")
    return _result(channels[start : start + max_items], start, len(channels))


def delete(request: Request, ctx: WithSM, config_id: str | None = None) -> Any:
    acl.authorize(ctx, request, acl.OPERATOR_WRITE)
    ids = [config_id] if config_id else []
    if not ids:
        ids = [i for i in request.args.get("config_id_list", request.args.get("config_id", "")).split(",") if i]
    check_params(request, ("config_id", "config_id_list"))
    if not ids:
        raise illegal_argument("either config_id or config_id_list is required")
    return {"delete_response_list": ctx.sm.notifications.delete(list(dict.fromkeys(ids)))}


@opensearch_handler
def configs(request: Request, ctx: WithSM) -> Any:
    handlers = {"POST": create, "GET": get_many, "DELETE": delete}
    handler = handlers.get(request.method)
    if handler is None:
        return method_not_allowed(request, handlers)
    return handler(request, ctx)


@opensearch_handler
def config(request: Request, ctx: WithSM, config_id: str) -> Any:
    handlers = {"PUT": update, "GET": get_one, "DELETE": delete}
    handler = handlers.get(request.method)
    if handler is None:
        return method_not_allowed(request, handlers)
    return handler(request, ctx, config_id)


def register(app: App, ctx: WithSM) -> None:
    app.route(BASE, bind(configs, ctx), name="notifications:configs", family="opensearch")
    app.route(BASE + "/<config_id>", bind(config, ctx), name="notifications:config", family="opensearch")
