"""What the double's API server refuses, as a Kubernetes 1.33 API server would.

Every object a client sends (create, patch result, replace) is checked before it is stored:

- the kind's schema: core kinds with ``kubernetes-validate`` (strict: unknown fields are
  errors), Argo Workflows and SeldonDeployments with the CRD schemas in ``shared/schemas``
  (when that folder exists; the tests that need it skip otherwise) plus a strict field-name
  check, since those schemas accept typos;
- ``metadata.name``: a DNS-1123 subdomain (lower-case alphanumerics, ``-`` and ``.``, at most
  253 characters), at most 63 characters for Jobs (the name becomes a pod label value);
  label keys and values follow the label syntax;
- a few semantic rules the schemas cannot say: a Job's pod template restarts ``Never`` or
  ``OnFailure``; ``spec.template``, ``spec.selector`` and ``spec.completionMode`` of a Job are
  immutable (a suspended Job that never started may change its scheduling directives);
- optimistic concurrency: a write that names a ``metadata.resourceVersion`` other than the
  stored one gets 409 Conflict.

Refusals are :class:`ApiError` 422 ``Invalid`` with a ``Status`` body whose ``details.causes``
name the field, as the API server reports them.
"""

from __future__ import annotations

import re
from typing import Any

from .objects import ApiError

K8S_VERSION = "1.33.0"
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
#: Pod template fields a suspended Job that never started may still change (Kubernetes 1.27+).
_MUTABLE_WHILE_SUSPENDED = ("nodeSelector", "tolerations", "affinity", "schedulingGates")
_KINDS = {"jobs": ("Job", "batch"), "configmaps": ("ConfigMap", ""), "pods": ("Pod", ""),
          "deployments": ("Deployment", "apps"), "services": ("Service", ""),
          "workflows": ("Workflow", "argoproj.io"),
          "seldondeployments": ("SeldonDeployment", "machinelearning.seldon.io")}


def invalid(plural: str, name: str, causes: list[tuple[str, str]]) -> ApiError:
    """A 422 naming each ``(field, message)`` cause, worded like the API server."""
    kind, group = _KINDS.get(plural, (plural, ""))
    qualified = f"{kind}.{group}" if group else kind
    text = "; ".join(f"{field}: {message}" for field, message in causes)
    err = ApiError(422, "Invalid", f'{qualified} "{name}" is invalid: {text}')
    err.details = {"name": name, "group": group, "kind": kind, "causes": [
        {"reason": "FieldValueInvalid", "message": message, "field": field}
        for field, message in causes]}
    return err


def check_names(plural: str, obj: dict[str, Any]) -> list[tuple[str, str]]:
    meta = obj.get("metadata") or {}
    name = str(meta.get("name") or "")
    causes: list[tuple[str, str]] = []
    limit = 63 if plural == "jobs" else 253
    if not name:
        causes.append(("metadata.name", "Required value: name or generateName is required"))
    elif len(name) > limit or not _SUBDOMAIN.match(name):
        causes.append(("metadata.name", f'Invalid value: "{name}": a lowercase RFC 1123'
                       f" subdomain of at most {limit} characters must consist of lower case"
                       " alphanumeric characters, '-' or '.', and must start and end with an"
                       " alphanumeric character"))
    for key, value in (meta.get("labels") or {}).items():
        prefix, _, base = str(key).rpartition("/")
        if (prefix and not _SUBDOMAIN.match(prefix)) or len(base) > 63 \
                or not _LABEL_NAME.match(base):
            causes.append(("metadata.labels", f'Invalid value: "{key}": not a valid label key'))
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            causes.append(("metadata.labels", f'Invalid value: "{value}": a valid label must'
                           " be 63 characters or less, alphanumeric, '-', '_' or '.', starting"
                           " and ending with an alphanumeric character"))
    return causes


def _schema_causes(plural: str, obj: dict[str, Any]) -> list[tuple[str, str]]:
    if plural in ("workflows", "seldondeployments"):
        return _crd_causes(plural, obj)
    import kubernetes_validate

    try:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        field = ".".join(str(p) for p in exc.path) or "<root>"
        return [(field, exc.message)]
    return []


def _crd_causes(plural: str, obj: dict[str, Any]) -> list[tuple[str, str]]:
    import jsonschema

    from .. import schemas

    if not schemas.SCHEMAS.is_dir():
        return []  # no CRD schema to check against (a checkout without ../shared)
    if plural == "workflows":
        checks = [schemas.argo_schema(),
                  schemas.crd_schema("workflows.argoproj.io.crd.yaml", "v1alpha1")]
    else:
        checks = [schemas.crd_schema("seldondeployments.machinelearning.seldon.io.crd.yaml",
                                     "v1")]
    for schema in checks:
        try:
            schemas.validate_jsonschema(obj, schema)
        except jsonschema.ValidationError as exc:
            return [(".".join(str(p) for p in exc.path) or "<root>", exc.message)]
    unknown = schemas.unknown_fields(obj, checks[0])
    if plural == "seldondeployments":  # the CRD leaves the recursive graph children untyped
        try:
            schemas.validate_seldon(obj)
        except (jsonschema.ValidationError, AssertionError):
            unknown = unknown or [".spec.predictors[].graph.children"]
    return [(path.lstrip("."), "field not declared by the schema (a typo?)")
            for path in unknown]


def _job_rules(obj: dict[str, Any]) -> list[tuple[str, str]]:
    policy = (((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
        "restartPolicy", "Always")
    if policy not in ("Never", "OnFailure"):
        return [("spec.template.spec.restartPolicy", f'Unsupported value: "{policy}":'
                 ' supported values: "OnFailure", "Never"')]
    return []


def validate(plural: str, obj: dict[str, Any]) -> None:
    """Refuse ``obj`` (about to be stored under ``plural``) with a 422 when a real API server
    would.

    Raises:
        ApiError: 422 Invalid, its body a Status naming the fields.
    """
    causes = check_names(plural, obj)
    causes += _schema_causes(plural, obj)
    if plural == "jobs":
        causes += _job_rules(obj)
    if causes:
        raise invalid(plural, str((obj.get("metadata") or {}).get("name") or ""), causes)


def check_update(plural: str, old: dict[str, Any], new: dict[str, Any],
                 expected_rv: str | None) -> None:
    """Refuse an update of ``old`` into ``new``: 409 when ``expected_rv`` (the version the
    writer read) is stale, 422 when an immutable field changes or ``new`` is invalid.

    Raises:
        ApiError: 409 Conflict or 422 Invalid.
    """
    name = old["metadata"]["name"]
    current = old["metadata"].get("resourceVersion")
    if expected_rv and expected_rv != current:
        raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {plural} "{name}":'
                       " the object has been modified; please apply your changes to the latest"
                       " version and try again")
    if plural == "jobs":
        causes = _job_immutable(old, new)
        if causes:
            raise invalid(plural, name, causes)
    validate(plural, new)


def _job_immutable(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str]]:
    before, after = old.get("spec") or {}, new.get("spec") or {}
    causes = [(f"spec.{key}", "field is immutable") for key in ("selector", "completionMode")
              if before.get(key) != after.get(key)]
    t_old, t_new = before.get("template") or {}, after.get("template") or {}
    if t_old == t_new:
        return causes
    never_started = before.get("suspend") and not (old.get("status") or {}).get("startTime")
    if never_started:
        # labels, annotations and scheduling directives may change before the first pod
        strip = [dict(t.get("spec") or {}) for t in (t_old, t_new)]
        for spec in strip:
            for key in _MUTABLE_WHILE_SUSPENDED:
                spec.pop(key, None)
        if strip[0] == strip[1]:
            return causes
    causes.append(("spec.template", "field is immutable"))
    return causes
