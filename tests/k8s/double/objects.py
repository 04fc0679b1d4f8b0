"""The double's object store: objects per (plural, namespace, name), a resourceVersion counter,
an event history that watches replay from, and compaction (which turns old versions into 410)."""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Key = tuple[str, str, str]  # plural, namespace, name


class ApiError(Exception):
    """An API answer other than success: HTTP status, reason and message (a Status object)."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message
        self.details: dict[str, Any] = {}

    def body(self) -> dict[str, Any]:
        out = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": self.message, "reason": self.reason, "code": self.status}
        if self.details:
            out["details"] = self.details
        return out


@dataclass
class Event:
    rv: int
    plural: str
    namespace: str
    type: str
    obj: dict[str, Any]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def matches(obj: dict[str, Any], labels: str, fields: str) -> bool:
    """Equality-based label selectors (``a=b,c!=d,e``) and ``metadata.name``/namespace fields."""
    have = obj.get("metadata", {}).get("labels") or {}
    for term in filter(None, labels.split(",")):
        if "!=" in term:
            k, v = term.split("!=", 1)
            if have.get(k) == v:
                return False
        elif "=" in term:
            k, v = term.replace("==", "=").split("=", 1)
            if have.get(k) != v:
                return False
        elif term not in have:
            return False
    meta = obj.get("metadata", {})
    for term in filter(None, fields.split(",")):
        k, v = term.split("=", 1)
        if meta.get(k.removeprefix("metadata.")) != v:
            return False
    return True


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


class ObjectStore:
    """Thread-safe storage with a change history; ``cond`` wakes watches and controllers."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.objects: dict[Key, dict[str, Any]] = {}
        self.history: list[Event] = []
        self.rv = 100
        self.compacted = 0  # versions at or below this are gone (410)
        self.listeners: list[Callable[[Event], None]] = []

    def _record(self, plural: str, ns: str, etype: str, obj: dict[str, Any]) -> None:
        event = Event(self.rv, plural, ns, etype, copy.deepcopy(obj))
        self.history.append(event)
        self.cond.notify_all()
        for listener in self.listeners:
            listener(event)

    def create(self, plural: str, ns: str, obj: dict[str, Any]) -> dict[str, Any]:
        with self.cond:
            meta = obj.setdefault("metadata", {})
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
            name = meta.get("name")
            if not name:
                raise ApiError(422, "Invalid", f"{plural}: metadata.name is required")
            if (plural, ns, name) in self.objects:
                raise ApiError(409, "AlreadyExists", f'{plural} "{name}" already exists')
            self.rv += 1
            meta.update(namespace=ns, uid=str(uuid.uuid4()), resourceVersion=str(self.rv),
                        creationTimestamp=_now(), generation=1)
            self.objects[(plural, ns, name)] = obj
            self._record(plural, ns, "ADDED", obj)
            return copy.deepcopy(obj)

    def get(self, plural: str, ns: str, name: str) -> dict[str, Any]:
        with self.cond:
            obj = self.objects.get((plural, ns, name))
            if obj is None:
                raise ApiError(404, "NotFound", f'{plural} "{name}" not found')
            return copy.deepcopy(obj)

    def update(self, plural: str, ns: str, name: str,
               change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> dict[str, Any]:
        """Apply ``change`` (mutate or return a new object) and record MODIFIED."""
        with self.cond:
            obj = self.objects.get((plural, ns, name))
            if obj is None:
                raise ApiError(404, "NotFound", f'{plural} "{name}" not found')
            new = change(copy.deepcopy(obj)) or obj
            if new == obj:
                return copy.deepcopy(obj)
            self.rv += 1
            new["metadata"]["resourceVersion"] = str(self.rv)
            if new.get("spec") != obj.get("spec"):
                new["metadata"]["generation"] = obj["metadata"].get("generation", 1) + 1
            self.objects[(plural, ns, name)] = new
            self._record(plural, ns, "MODIFIED", new)
            return copy.deepcopy(new)

    def delete(self, plural: str, ns: str, name: str) -> dict[str, Any]:
        """Delete ``name`` and, first, everything it owns (foreground-style cascade)."""
        with self.cond:
            obj = self.objects.get((plural, ns, name))
            if obj is None:
                raise ApiError(404, "NotFound", f'{plural} "{name}" not found')
            uid = obj["metadata"]["uid"]
            for (p, n, nm), child in list(self.objects.items()):
                owners = child["metadata"].get("ownerReferences") or []
                if n == ns and any(o.get("uid") == uid for o in owners):
                    self.delete(p, n, nm)
            del self.objects[(plural, ns, name)]
            self.rv += 1
            obj["metadata"]["resourceVersion"] = str(self.rv)
            self._record(plural, ns, "DELETED", obj)
            return copy.deepcopy(obj)

    def list(self, plural: str, ns: str, labels: str = "", fields: str = ""
             ) -> tuple[list[dict[str, Any]], int]:
        with self.cond:
            items = [copy.deepcopy(o) for (p, n, _), o in sorted(self.objects.items())
                     if p == plural and n == ns and matches(o, labels, fields)]
            return items, self.rv

    def peek(self, plural: str, ns: str, labels: str = "") -> list[dict[str, Any]]:
        """Matching objects without copying: for controllers, which only read them."""
        with self.cond:
            return [o for (p, n, _), o in self.objects.items()
                    if p == plural and n == ns and matches(o, labels, "")]

    def since(self, rv: int) -> list[Event]:
        """History events newer than ``rv`` (the history is ordered by version)."""
        import bisect

        start = bisect.bisect_right(self.history, rv, key=lambda e: e.rv)
        return self.history[start:]

    def compact(self) -> None:
        """Forget the history: any watch resuming from an older version gets 410 Gone."""
        with self.cond:
            self.rv += 1
            self.compacted = self.rv
            self.history.clear()
            self.cond.notify_all()
