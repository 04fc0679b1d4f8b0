"""The one seam that talks to the Kubernetes API, through the official ``kubernetes`` client.

Everything the backends do on a cluster goes through :class:`KubeClient`: create, get, patch,
delete, list and watch of the few kinds jupyter-mlpipe uses, and pod logs. Objects go in and come
out as plain dicts (camelCase, as in YAML). Failures become :class:`KubernetesError` with the
HTTP status, the API's reason and a sentence saying what to check. Only safe calls (GET, list,
watch, logs) are retried on transient failures (5xx, 429, connection errors); a create, patch or
delete is tried once, since repeating it blindly could act twice.

Configuration: the ``kubeconfig`` setting when set, else the in-cluster service account, else
``~/.kube/config``; the namespace comes from the ``namespace`` setting.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import ConfigError, KubernetesError

T = TypeVar("T")
TRANSIENT = frozenset({429, 500, 502, 503, 504})
GONE = 410


@dataclass(frozen=True)
class Kind:
    """How to reach one resource kind through the client."""

    group: str
    version: str
    plural: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


JOB = Kind("batch", "v1", "jobs", "Job")
CONFIGMAP = Kind("", "v1", "configmaps", "ConfigMap")
POD = Kind("", "v1", "pods", "Pod")
WORKFLOW = Kind("argoproj.io", "v1alpha1", "workflows", "Workflow")
SELDON = Kind("machinelearning.seldon.io", "v1", "seldondeployments", "SeldonDeployment")
KINDS = {k.kind: k for k in (JOB, CONFIGMAP, POD, WORKFLOW, SELDON)}

_HINTS = {
    401: "the credentials were refused — check the kubeconfig (setting kubeconfig) or the"
         " service account token",
    403: "the service account may not do this — apply the Role from `mlpipe cluster manifests`"
         " in namespace {ns}, or ask an administrator",
    404: "it does not exist in namespace {ns} — check the name and the namespace setting;"
         " for Workflow or SeldonDeployment, check that Argo / Seldon Core are installed",
    409: "an object with that name already exists or was changed meanwhile — delete it or pick"
         " another name",
    422: "the API rejected the object as invalid — run with --dry-run -o yaml to inspect it",
}


def load_configuration(kubeconfig: str = "") -> Any:
    """A ``kubernetes.client.Configuration`` from a kubeconfig file or the in-cluster account.

    Raises:
        ConfigError: the kubernetes client is not installed or no configuration is found.
    """
    try:
        from kubernetes import client, config
    except ImportError as exc:
        raise ConfigError("the Kubernetes backends need the kubernetes client — "
                          "pip install 'jupyter-mlpipe[kubernetes]'") from exc
    conf = client.Configuration()
    try:
        if kubeconfig:
            config.load_kube_config(config_file=kubeconfig, client_configuration=conf)
        else:
            try:
                config.load_incluster_config(client_configuration=conf)
            except config.ConfigException:
                config.load_kube_config(client_configuration=conf)
    except (config.ConfigException, OSError) as exc:
        where = kubeconfig or "the in-cluster service account or ~/.kube/config"
        raise ConfigError(f"no Kubernetes configuration in {where} ({exc}) — set kubeconfig"
                          " (MLPIPE_KUBECONFIG) or run inside the cluster") from exc
    return conf


class KubeClient:
    """Talks to one namespace of one cluster.

    Args:
        configuration: a ``kubernetes.client.Configuration`` (see :func:`load_configuration`).
        namespace: the namespace every call uses.
        retries: attempts for safe calls on transient failures.
        backoff: seconds before the first retry (doubling).

    Attributes:
        calls: how many API requests this client made (for benchmarks and tests).
    """

    def __init__(self, configuration: Any, namespace: str, *, retries: int = 3,
                 backoff: float = 0.2) -> None:
        from kubernetes import client

        configuration.retries = 0  # our own retry policy below decides what may be repeated
        self.api = client.ApiClient(configuration)
        self.core = client.CoreV1Api(self.api)
        self.batch = client.BatchV1Api(self.api)
        self.custom = client.CustomObjectsApi(self.api)
        self.namespace = namespace
        self.host = configuration.host
        self.retries = max(1, retries)
        self.backoff = backoff
        self.calls = 0
        self._watches: set[Any] = set()

    @classmethod
    def from_settings(cls, settings: Any) -> KubeClient:
        """A client for ``settings.kubeconfig`` / in-cluster config and ``settings.namespace``."""
        return cls(load_configuration(settings.kubeconfig), settings.namespace)

    def close_watches(self) -> None:
        """End every open watch of this client now (their threads see the stream end)."""
        for w in list(self._watches):
            resp = getattr(w, "_resp", None)  # the helper keeps the open response here
            if resp is not None and hasattr(resp, "shutdown"):
                try:
                    resp.shutdown()
                except (OSError, ValueError, RuntimeError):
                    pass  # the stream ended meanwhile (its socket closed or released): done

    def close(self) -> None:
        """Close connections, ending open watches at once."""
        self.close_watches()
        self.api.close()

    # -- error handling -----------------------------------------------------------------------
    def _error(self, exc: Exception, action: str) -> KubernetesError:
        from kubernetes.client.exceptions import ApiException

        if not isinstance(exc, ApiException):
            return KubernetesError(f"{action} failed: cannot reach the Kubernetes API at"
                                   f" {self.host} ({exc}) — check the cluster address and network")
        status = exc.status or 0
        detail = exc.reason or ""
        try:
            body = json.loads(exc.body) if exc.body else {}
            detail = body.get("message") or detail
            reason = body.get("reason") or exc.reason or ""
        except (ValueError, TypeError, AttributeError):
            reason = exc.reason or ""
        hint = _HINTS.get(status, "the API server failed; try again later"
                          if status >= 500 else "see the API's message")
        return KubernetesError(
            f"{action} failed: HTTP {status} {reason}: {detail} — {hint.format(ns=self.namespace)}",
            status=status, reason=str(reason))

    def _call(self, action: str, fn: Callable[..., T], *args: Any, safe: bool = False,
              **kwargs: Any) -> T:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        delay = self.backoff
        attempts = self.retries if safe else 1
        for attempt in range(1, attempts + 1):
            self.calls += 1
            try:
                return fn(*args, **kwargs)
            except ApiException as exc:
                if not (safe and exc.status in TRANSIENT) or attempt == attempts:
                    raise self._error(exc, action) from exc
            except HTTPError as exc:
                if not safe or attempt == attempts:
                    raise self._error(exc, action) from exc
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def _dict(self, obj: Any) -> dict[str, Any]:
        if isinstance(obj, dict):
            return obj
        out: dict[str, Any] = self.api.sanitize_for_serialization(obj)
        return out

    # -- objects ------------------------------------------------------------------------------
    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create ``body`` (a Job, ConfigMap, Workflow or SeldonDeployment); return it as stored."""
        kind = KINDS[str(body["kind"])]
        meta = body.get("metadata", {})
        what = f"creating {kind.kind} {meta.get('name') or meta.get('generateName', '')}"
        ns = self.namespace
        body = {**body, "metadata": {**meta, "namespace": ns}}
        if kind is JOB:
            return self._dict(self._call(what, self.batch.create_namespaced_job, ns, body))
        if kind is CONFIGMAP:
            return self._dict(self._call(what, self.core.create_namespaced_config_map, ns, body))
        return self._dict(self._call(what, self.custom.create_namespaced_custom_object,
                                     kind.group, kind.version, ns, kind.plural, body))

    def get(self, kind: Kind, name: str) -> dict[str, Any]:
        what, ns = f"reading {kind.kind} {name}", self.namespace
        if kind is JOB:
            return self._dict(self._call(what, self.batch.read_namespaced_job, name, ns, safe=True))
        if kind is POD:
            return self._dict(self._call(what, self.core.read_namespaced_pod, name, ns, safe=True))
        if kind is CONFIGMAP:
            return self._dict(self._call(what, self.core.read_namespaced_config_map, name, ns,
                                         safe=True))
        return self._dict(self._call(what, self.custom.get_namespaced_custom_object, kind.group,
                                     kind.version, ns, kind.plural, name, safe=True))

    def patch(self, kind: Kind, name: str, patch: Mapping[str, Any]) -> dict[str, Any]:
        """Merge-patch ``name`` with ``patch``."""
        what, ns = f"patching {kind.kind} {name}", self.namespace
        # the generated client would label a dict as a JSON patch; say what it is
        merge = "application/merge-patch+json"
        if kind is JOB:
            return self._dict(self._call(what, self.batch.patch_namespaced_job, name, ns, patch,
                                         _content_type=merge))
        if kind is CONFIGMAP:
            return self._dict(self._call(what, self.core.patch_namespaced_config_map, name, ns,
                                         patch, _content_type=merge))
        if kind is POD:
            return self._dict(self._call(what, self.core.patch_namespaced_pod, name, ns, patch,
                                         _content_type=merge))
        return self._dict(self._call(what, self.custom.patch_namespaced_custom_object,
                                     kind.group, kind.version, ns, kind.plural, name, patch,
                                     _content_type=merge))

    def delete(self, kind: Kind, name: str, *, propagation: str = "Foreground",
               missing_ok: bool = True) -> None:
        """Delete ``name`` (dependents first with Foreground propagation)."""
        from kubernetes import client

        what, ns = f"deleting {kind.kind} {name}", self.namespace
        opts = client.V1DeleteOptions(propagation_policy=propagation)
        try:
            if kind is JOB:
                self._call(what, self.batch.delete_namespaced_job, name, ns, body=opts)
            elif kind is CONFIGMAP:
                self._call(what, self.core.delete_namespaced_config_map, name, ns, body=opts)
            elif kind is POD:
                self._call(what, self.core.delete_namespaced_pod, name, ns, body=opts)
            else:
                self._call(what, self.custom.delete_namespaced_custom_object, kind.group,
                           kind.version, ns, kind.plural, name, body=opts)
        except KubernetesError as exc:
            if not (missing_ok and exc.status == 404):
                raise

    # -- list and watch -----------------------------------------------------------------------
    def _lister(self, kind: Kind) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        if kind is JOB:
            return self.batch.list_namespaced_job, (self.namespace,)
        if kind is POD:
            return self.core.list_namespaced_pod, (self.namespace,)
        if kind is CONFIGMAP:
            return self.core.list_namespaced_config_map, (self.namespace,)
        return self.custom.list_namespaced_custom_object, (kind.group, kind.version,
                                                           self.namespace, kind.plural)

    def list(self, kind: Kind, selector: str = "", fields: str = ""
             ) -> tuple[list[dict[str, Any]], str]:
        """Objects matching the label ``selector`` (and field selector ``fields``) and the
        list's resourceVersion."""
        fn, args = self._lister(kind)
        out = self._dict(self._call(f"listing {kind.plural}", fn, *args, label_selector=selector,
                                    field_selector=fields, safe=True))
        return list(out.get("items") or []), str(out.get("metadata", {}).get("resourceVersion", ""))

    def watch(self, kind: Kind, selector: str, resource_version: str,
              timeout: int = 60, fields: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
        """Events (type, object) after ``resource_version``; ends after ``timeout`` seconds.

        Raises:
            KubernetesError: with status 410 when the version is too old (list again), or
                any other API failure.
        """
        from kubernetes import watch
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        fn, args = self._lister(kind)
        self.calls += 1
        w = watch.Watch()
        self._watches.add(w)
        try:
            # timeout_seconds also disables the helper's silent 410 retry: we relist ourselves
            for event in w.stream(fn, *args, label_selector=selector, field_selector=fields,
                                  resource_version=resource_version, timeout_seconds=timeout,
                                  allow_watch_bookmarks=True):
                if event["type"] == "BOOKMARK":
                    continue
                yield event["type"], self._dict(event["raw_object"])
        except (ApiException, HTTPError) as exc:
            raise self._error(exc, f"watching {kind.plural}") from exc
        finally:
            w.stop()
            self._watches.discard(w)

    def pod_log(self, name: str, *, container: str | None = None, follow: bool = False
                ) -> Iterator[str]:
        """The pod's log, line by line; with ``follow`` until the container ends."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        kwargs: dict[str, Any] = {"follow": follow, "_preload_content": False}
        if container:
            kwargs["container"] = container
        resp: Any = self._call(f"reading the log of pod {name}", self.core.read_namespaced_pod_log,
                          name, self.namespace, safe=True, **kwargs)
        pending = b""
        try:
            for chunk in resp.stream(4096, decode_content=True):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    yield line.decode("utf-8", "replace")
            if pending:
                yield pending.decode("utf-8", "replace")
        except (ApiException, HTTPError) as exc:
            raise self._error(exc, f"reading the log of pod {name}") from exc
        finally:
            resp.close()  # a follow stream left early must not keep its connection
            resp.release_conn()
