"""Validation helpers: Kubernetes core schemas, the shared CRD schemas, and a strict field check.

The CRD schemas live in ``<repo>/../shared/schemas`` (not shipped with the project); tests that
need them skip with a reason when the folder is absent.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest


def _find_schemas() -> Path:
    """``shared/schemas`` beside the checkout, or beside any folder above it (a worktree in a
    subfolder shares the same schemas)."""
    here = Path(__file__).resolve().parents[2]
    for folder in here.parents:
        if (folder / "shared" / "schemas").is_dir():
            return folder / "shared" / "schemas"
    return here.parent / "shared" / "schemas"


SCHEMAS = _find_schemas()
K8S_VERSION = "1.33.0"


def need_schemas() -> Path:
    if not SCHEMAS.is_dir():
        pytest.skip(f"CRD schemas folder {SCHEMAS} is absent (it is present in CI)")
    return SCHEMAS


def validate_core(obj: dict[str, Any]) -> None:
    """Strict validation of a core kind against the Kubernetes schema of ``K8S_VERSION``."""
    import kubernetes_validate

    kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


@cache
def crd_schema(filename: str, version: str) -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the CRD files are large
    crd = yaml.load((need_schemas() / filename).read_text(encoding="utf-8"), Loader=loader)
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            return v["schema"]["openAPIV3Schema"]  # type: ignore[no-any-return]
    raise KeyError(version)


@cache
def argo_schema() -> dict[str, Any]:
    data = json.loads((need_schemas() / "argo-workflows.schema.json").read_text(encoding="utf-8"))
    return {"$ref": "#/definitions/io.argoproj.workflow.v1alpha1.Workflow",
            "definitions": data["definitions"]}


def validate_jsonschema(obj: dict[str, Any], schema: dict[str, Any]) -> None:
    import jsonschema

    jsonschema.Draft7Validator(schema).validate(obj)


def unknown_fields(obj: Any, schema: dict[str, Any], root: dict[str, Any] | None = None,
                   path: str = "") -> list[str]:
    """Paths of keys in ``obj`` that ``schema`` does not declare (schemas that accept any
    key — ``additionalProperties``, ``x-kubernetes-preserve-unknown-fields`` or no
    ``properties`` at all — accept everything below them)."""
    root = root if root is not None else schema
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = root["definitions"][name]
    if isinstance(obj, dict):
        props = schema.get("properties")
        if props is None or schema.get("x-kubernetes-preserve-unknown-fields") \
                or schema.get("additionalProperties"):
            return []
        found: list[str] = []
        for key, value in obj.items():
            if key not in props:
                found.append(f"{path}.{key}")
            else:
                found += unknown_fields(value, props[key], root, f"{path}.{key}")
        return found
    if isinstance(obj, list) and isinstance(schema.get("items"), dict):
        return [p for i, v in enumerate(obj)
                for p in unknown_fields(v, schema["items"], root, f"{path}[{i}]")]
    return []


def validate_workflow(obj: dict[str, Any]) -> None:
    """Argo Workflow: JSON schema, the CRD's schema, and no unknown field names."""
    schema = argo_schema()
    validate_jsonschema(obj, schema)
    validate_jsonschema(obj, crd_schema("workflows.argoproj.io.crd.yaml", "v1alpha1"))
    assert unknown_fields(obj, schema) == []


def validate_seldon(obj: dict[str, Any]) -> None:
    """SeldonDeployment v1: the CRD's schema (graph children checked like the graph itself)."""
    schema = crd_schema("seldondeployments.machinelearning.seldon.io.crd.yaml", "v1")
    validate_jsonschema(obj, schema)
    assert unknown_fields(obj, schema) == []
    graph_schema = schema["properties"]["spec"]["properties"]["predictors"]["items"][
        "properties"]["graph"]
    for pred in obj["spec"]["predictors"]:
        stack = list(pred["graph"].get("children", []))
        while stack:  # the CRD leaves the recursive children untyped
            node = stack.pop()
            validate_jsonschema(node, graph_schema)
            assert unknown_fields(node, graph_schema) == []
            stack += node.get("children", [])
