"""The model half of the API: package, build, deploy, predict, list and remove deployments."""

from __future__ import annotations

import ast
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from ..errors import InvalidArgument, MlpipeError, PackageError
from ..store.reader import LOG, METRICS, PARAMS, STATUS
from .records import DeploymentInfo, Prediction

if TYPE_CHECKING:
    import pandas as pd

    from ..builders.base import BuildResult
    from ..packaging import PackageInfo
    from ..settings import Settings
    from .records import ExperimentInfo

log = logging.getLogger("jupyter_mlpipe")

#: Files the store keeps in an experiment folder; everything else there is the trial's output.
RECORD_FILES = frozenset({PARAMS, STATUS, METRICS, LOG})


def experiment_outputs(folder: Path) -> list[Path]:
    """The files a trial saved in its outputs folder (its checkpoints), by name."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.name not in RECORD_FILES and not p.name.startswith(".")
    )


def guess_model_class(source: Path) -> str:
    """The one ``X.py`` in ``source`` that defines a class ``X`` (Seldon's naming rule).

    Raises:
        PackageError: none or several do — name it with ``--model-class``.
    """
    found = []
    for path in sorted(source.glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        if any(isinstance(n, ast.ClassDef) and n.name == path.stem for n in tree.body):
            found.append(path.stem)
    if len(found) != 1:
        listed = ", ".join(found) or "none"
        raise PackageError(
            f"cannot tell the model class in {source} (candidates: {listed}) —"
            " name it with --model-class CLASS (a CLASS.py defining class CLASS)"
        )
    return found[0]


class ModelVerbs:
    """package / build / deploy / predict / deployments / undeploy, mixed into ``Mlpipe``."""

    settings: Settings

    if TYPE_CHECKING:  # provided by Mlpipe

        def experiment(self, experiment: int, project: str | None = None) -> ExperimentInfo: ...
        def _lineage(self, info: ExperimentInfo) -> dict[str, Any]: ...
        def package_folder(self, name: str) -> Path: ...

    def package(
        self,
        experiment: int,
        name: str,
        *,
        source: str | Path | None = None,
        checkpoints: Sequence[str | Path] | None = None,
        model_class: str | None = None,
        requirements: str | Path | Sequence[str] | None = None,
        format: str = "seldon",
        force: bool = False,
        project: str | None = None,
    ) -> PackageInfo:
        """Write the s2i (or MLServer) folder for an experiment's checkpoint.

        Args:
            experiment: the experiment id.
            name: the package name (a DNS-1123 label); the folder is ``<deployments root>/name``.
            source: folder with the model class module (default: the sweep's project folder).
            checkpoints: files to copy (default: every file the trial saved in its outputs).
                Relative paths are taken inside the experiment's outputs folder.
            model_class: the class (default: the one ``X.py`` in source defining class ``X``).
            force: replace an existing package of that name.

        Returns:
            The :class:`~jupyter_mlpipe.packaging.PackageInfo`.
        """
        from ..packaging import write_package
        from ..store import Store

        info = self.experiment(experiment, project)
        if info.status != "succeeded":
            log.warning("experiment %s %s; packaging what it saved so far", experiment, info.status)
        outputs = Path(info.path)
        group = Store(self.settings.outputs_root, self.settings.user, info.project).read_group(
            info.group
        )
        src = Path(source) if source is not None else Path(group.project_dir)
        if checkpoints:
            files = [p if Path(p).is_absolute() else outputs / p for p in map(Path, checkpoints)]
        else:
            files = experiment_outputs(outputs)
            if not files:
                raise PackageError(
                    f"experiment {experiment} saved no files in {outputs} — "
                    "nothing to package (did the training code save a checkpoint?)"
                )
        self._refuse_replacing_served(name)
        return write_package(
            self.settings.deployments_root,
            name,
            source=src,
            checkpoints=files,
            model_class=model_class or guess_model_class(src),
            requirements=requirements,
            format=format,
            lineage=self._lineage(info),
            force=force,
        )

    # -- a package a deployment serves is never replaced --------------------------------------
    def _refuse_replacing_served(self, name: str) -> None:
        """Refuse to write package ``name`` over a folder that a live deployment serves.

        A deployment serves a package when its record's ``folder`` is that folder and its live
        health is anything but ``stale`` (a health that cannot be read counts as serving).

        Raises:
            PackageError: naming the deployment and the fix (undeploy it, or another name).
        """
        from ..store import DeploymentStore, safe_join, validate_name

        folder = safe_join(self.settings.deployments_root, validate_name(name, "package"))
        if not folder.exists():
            return
        target = folder.resolve()
        for record in DeploymentStore(self.settings.outputs_root, self.settings.user).list():
            served = record.get("folder")
            if not isinstance(served, str) or Path(served).resolve() != target:
                continue
            try:
                health = self._deployer_for(str(record["name"])).status(str(record["name"]))
            except MlpipeError as exc:
                health = {"health": "unknown", "detail": str(exc)}
            if health.get("health") != "stale":
                where = health.get("url") or record.get("url") or ""
                raise PackageError(
                    f"package {name!r} is served by deployment {record['name']!r}"
                    f" ({health.get('health')}{' at ' + str(where) if where else ''}) — replacing"
                    f" it would change a running model: `mlpipe undeploy {record['name']}` first,"
                    " or choose another name (--name)"
                )

    @overload
    def build(
        self,
        name: str,
        image: str | None = ...,
        *,
        push: bool = ...,
        backend: str | None = ...,
        builder: str | None = ...,
        dry_run: Literal[False] = ...,
        on_line: Any = ...,
    ) -> BuildResult: ...

    @overload
    def build(
        self,
        name: str,
        image: str | None = ...,
        *,
        push: bool = ...,
        backend: str | None = ...,
        builder: str | None = ...,
        dry_run: Literal[True],
        on_line: Any = ...,
    ) -> str | list[dict[str, Any]]: ...

    def build(
        self,
        name: str,
        image: str | None = None,
        *,
        push: bool = False,
        backend: str | None = None,
        builder: str | None = None,
        dry_run: bool = False,
        on_line: Any = None,
    ) -> BuildResult | str | list[dict[str, Any]]:
        """Build (and push) the serving image of a package.

        Returns:
            The BuildResult, or the rendering (Dockerfile text or manifests) with ``dry_run``.
        """
        from ..builders import make_builder
        from ..builders.base import BuildRequest

        folder = self.package_folder(name)
        image = image or (
            f"{self.settings.registry.rstrip('/')}/{name}:latest" if self.settings.registry else ""
        )
        if not image:
            raise InvalidArgument("build needs --image REF (or set the registry setting)")
        request = BuildRequest(
            name=name,
            folder=str(folder),
            image=image,
            push=push,
            builder_image=self.settings.builder_image,
            builder=builder,
        )
        impl = make_builder(backend or self.settings.build_backend, self.settings)
        return impl.render(request) if dry_run else impl.build(request, on_line=on_line)

    @overload
    def deploy(
        self,
        name: str,
        *,
        backend: str | None = ...,
        port: int | None = ...,
        replicas: int = ...,
        canary: str | None = ...,
        shadow: str | None = ...,
        dry_run: Literal[False] = ...,
        image: str | None = ...,
    ) -> dict[str, Any]: ...

    @overload
    def deploy(
        self,
        name: str,
        *,
        backend: str | None = ...,
        port: int | None = ...,
        replicas: int = ...,
        canary: str | None = ...,
        shadow: str | None = ...,
        dry_run: Literal[True],
        image: str | None = ...,
    ) -> list[dict[str, Any]]: ...

    def deploy(
        self,
        name: str,
        *,
        backend: str | None = None,
        port: int | None = None,
        replicas: int = 1,
        canary: str | None = None,
        shadow: str | None = None,
        dry_run: bool = False,
        image: str | None = None,
    ) -> dict[str, Any] | list[dict[str, Any]]:
        """Serve a package: a local server process, or a SeldonDeployment.

        Args:
            canary: ``OTHER:PERCENT`` — a second package taking PERCENT of the traffic.
            shadow: ``OTHER`` — a package receiving a copy of the traffic.

        Returns:
            The deployment record (a dict), or the rendering with ``dry_run``.
        """
        from ..deployers import DeploySpec, make_deployer
        from ..packaging import read_lineage

        chosen = backend or self.settings.deploy_backend
        if replicas < 1:
            raise InvalidArgument(f"--replicas must be 1 or more, got {replicas}")
        if port is not None and not 0 < port < 65536:
            raise InvalidArgument(f"--port must be from 1 to 65535, got {port}")
        if chosen == "local" and (canary or shadow or replicas != 1):
            raise InvalidArgument(
                "local serving runs one process: --canary, --shadow and --replicas need"
                " --backend seldon"
            )
        folder = self.package_folder(name)
        lineage = read_lineage(folder)
        spec = DeploySpec(
            name=name,
            folder=str(folder),
            image=image or _image_of(lineage),
            replicas=replicas,
            port=port,
            canary=self._other(canary, with_traffic=True),
            shadow=self._other(shadow, with_traffic=False),
            lineage=lineage,
        )
        impl = make_deployer(chosen, self.settings)
        return impl.render(spec) if dry_run else impl.deploy(spec)

    def _other(self, text: str | None, with_traffic: bool) -> dict[str, Any] | None:
        from ..packaging import read_lineage

        if not text:
            return None
        other, _, percent = text.partition(":")
        if with_traffic:
            if not percent.isdigit() or not 0 < int(percent) < 100:
                raise InvalidArgument(
                    f"--canary takes OTHER:PERCENT with 0 < PERCENT < 100, got {text!r}"
                )
        lineage = read_lineage(self.package_folder(other))
        out: dict[str, Any] = {"name": other, "image": _image_of(lineage)}
        if with_traffic:
            out["traffic"] = int(percent)
        return out

    def _deployer_for(self, name: str) -> Any:
        from ..deployers import make_deployer
        from ..store import DeploymentStore

        record = DeploymentStore(self.settings.outputs_root, self.settings.user).get(name)
        return make_deployer(record.get("backend", "local"), self.settings)

    def predict(self, name: str, payload: Any) -> Prediction:
        """Send ``payload`` (image/npy/JSON path, JSON text, array, dict) to a deployment."""
        from ..serving.client import build_payload, predict

        url = self._deployer_for(name).endpoint(name)
        response = predict(url, build_payload(payload))
        return _prediction(response)

    def deployed(self, record: dict[str, Any]) -> DeploymentInfo:
        """The record :meth:`deploy` returned, typed. ``deploy`` returns once the model answers,
        so the health is ``healthy`` unless the record says otherwise."""
        return DeploymentInfo.from_record({"health": "healthy", **record})

    def deployment_list(self) -> list[DeploymentInfo]:
        """Every deployment with live health, by name."""
        from ..store import DeploymentStore

        infos = []
        for record in DeploymentStore(self.settings.outputs_root, self.settings.user).list():
            try:
                live = self._deployer_for(record["name"]).status(record["name"])
            except MlpipeError as exc:
                live = {**record, "health": "unknown", "detail": str(exc)}
            infos.append(DeploymentInfo.from_record(live))
        return infos

    def deployments(self) -> pd.DataFrame:
        """Every deployment with live health, as a DataFrame (index ``name``)."""
        import pandas as pd

        columns = ["name", "backend", "health", "url", "image", "folder", "created", "detail"]
        rows = [info.to_dict() for info in self.deployment_list()]
        frame = pd.DataFrame(rows, columns=columns).set_index("name")
        frame["created"] = pd.to_datetime(frame["created"], unit="s", utc=True, errors="coerce")
        return frame

    def deployment(self, name: str) -> dict[str, Any]:
        """One deployment's record with live health."""
        return self._deployer_for(name).status(name)

    def undeploy(self, name: str) -> None:
        """Stop serving ``name`` and forget it."""
        self._deployer_for(name).undeploy(name)


def _image_of(lineage: dict[str, Any]) -> str | None:
    image = lineage.get("image")
    if isinstance(image, dict):
        ref, digest = image.get("reference"), image.get("digest")
        if ref and digest:
            return f"{str(ref).rsplit(':', 1)[0]}@{digest}" if "@" not in str(ref) else str(ref)
        return str(ref) if ref else None
    return str(image) if image else None


def _prediction(response: dict[str, Any]) -> Prediction:
    data = response.get("data") or {}
    names = list(data.get("names") or [])
    if "ndarray" in data:
        values = data["ndarray"]
    elif "tensor" in data:
        tensor = data["tensor"]
        shape, flat = tensor.get("shape") or [], tensor.get("values") or []
        if len(shape) == 2 and shape[1]:
            values = [flat[i : i + shape[1]] for i in range(0, len(flat), shape[1])]
        else:
            values = flat
    else:
        values = response.get("jsonData", response.get("strData"))
    return Prediction(response=response, names=names, values=values)
