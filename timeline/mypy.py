"""A mypy plugin: type-check event classes made by `timeline.event` and `timeline.abstract_event`.

Both decorators make a frozen, keyword-only attrs class. mypy's attrs support recognises only
attrs' own decorators, so without this plugin it does not see the fields a class inherits from
`timeline.Event` (``id``, ``occurred``, ``source``) nor the converters (``occurred`` accepts
text, dates and datetimes). Enable it in your mypy configuration::

    [tool.mypy]
    plugins = ["timeline.mypy"]

It only hands those decorators to mypy's own attrs plugin, as if they were
``attrs.frozen(kw_only=True)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from mypy.nodes import ARG_NAMED, CallExpr, NameExpr
from mypy.plugin import ClassDefContext, Plugin
from mypy.plugins.attrs import attr_class_maker_callback, attr_tag_callback

__all__ = ["TimelinePlugin", "plugin"]

MAKERS: Final = frozenset({"timeline.events.event", "timeline.events.abstract_event"})


def _frozen_kw_only(ctx: ClassDefContext) -> bool:
    true = NameExpr("True")
    true.fullname = "builtins.True"
    callee = NameExpr("frozen")
    found = ctx.api.lookup_fully_qualified_or_none("attrs.frozen")
    if found is not None:
        callee.node = found.node
        callee.fullname = "attrs.frozen"
    reason = CallExpr(callee, [true], [ARG_NAMED], ["kw_only"])
    reason.set_line(ctx.reason)
    as_attrs = ClassDefContext(ctx.cls, reason, ctx.api)
    return attr_class_maker_callback(as_attrs, auto_attribs_default=None, frozen_default=True)


class TimelinePlugin(Plugin):
    """Treats `timeline.event` and `timeline.abstract_event` as ``attrs.frozen(kw_only=True)``."""

    def get_class_decorator_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        return attr_tag_callback if fullname in MAKERS else None

    def get_class_decorator_hook_2(self, fullname: str) -> Callable[[ClassDefContext], bool] | None:
        return _frozen_kw_only if fullname in MAKERS else None


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    return TimelinePlugin
