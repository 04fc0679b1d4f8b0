"""The trial side of a function sweep: ``python -m jupyter_mlpipe.tracking.function_trial``.

A function sweep (``Mlpipe.sweep(train, matrix=...)``) stores the notebook's function, pickled
with cloudpickle, as ``function.pkl`` in the group folder, next to the experiment folders; its
generated polyaxonfile's ``run.cmd`` runs this module, which

1. refuses to run (exit code :data:`MISMATCH`) when this interpreter's Python ``major.minor`` or
   cloudpickle version differs from the notebook's (given as ``--python`` and ``--cloudpickle``):
   cloudpickle's format is only guaranteed between identical versions, and a mismatch would
   otherwise show as an obscure crash while unpickling;
2. loads the function from ``<outputs path>/../function.pkl`` (the experiment folder's parent is
   the group folder, on the local disk and on the cluster's outputs volume alike);
3. calls it with the trial's params (:func:`jupyter_mlpipe.tracking.get_params`) as keyword
   arguments;
4. logs the metrics it returns (a dict of numbers, or None for nothing) through
   :func:`jupyter_mlpipe.tracking.log_metrics`;
5. on any exception prints the traceback (it lands in the experiment's ``output.log``), writes
   the exception's last line to :data:`REASON_FILE` in the experiment folder — the sweep driver
   appends it to the failed experiment's status message — and exits with code :data:`FAILED`.

Standard library plus cloudpickle only: this runs inside the trial image.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: The module a function sweep's ``run.cmd`` runs (``python -m``).
TRIAL_MODULE = "jupyter_mlpipe.tracking.function_trial"
#: File of the group folder holding the pickled function.
FUNCTION_FILE = "function.pkl"
#: File of the group folder holding the function's source text (provenance only).
SOURCE_FILE = "function.py"
#: File of an experiment folder holding the one-line reason a trial failed.
REASON_FILE = "reason.txt"
#: Exit code of a trial whose function raised (or could not be loaded).
FAILED = 1
#: Exit code of a trial whose Python or cloudpickle differs from the notebook's.
MISMATCH = 2


class TrialFailed(Exception):
    """A trial cannot succeed; the message is its one-line reason."""

    def __init__(self, reason: str, code: int = FAILED) -> None:
        super().__init__(reason)
        self.code = code


def python_version() -> str:
    """This interpreter's ``major.minor``, the part of its version cloudpickle depends on."""
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def mismatch(found: tuple[str, str | None], wanted: tuple[str, str], runs: str) -> str | None:
    """Why an interpreter with ``found`` (Python ``major.minor``, cloudpickle version or None
    when it has none) cannot load a function pickled with ``wanted``, or None when it can.

    ``runs`` names that interpreter in the message (``"this trial"``, ``"image REF"``).
    """
    if found == wanted:
        return None
    has = f"cloudpickle {found[1]}" if found[1] else "no cloudpickle"
    return (
        f"the function was pickled with Python {wanted[0]} and cloudpickle {wanted[1]}, but"
        f" {runs} runs Python {found[0]} and {has} — use an image with Python {wanted[0]} and"
        f" `pip install cloudpickle=={wanted[1]}`"
    )


def check_versions(python: str | None, cloudpickle_version: str | None) -> Any:
    """Import cloudpickle and compare this process's versions with the notebook's.

    Returns:
        The cloudpickle module.

    Raises:
        TrialFailed: (code :data:`MISMATCH`) cloudpickle is missing or a version differs.
    """
    try:
        import cloudpickle
    except ImportError:
        cloudpickle = None
    found = (python_version(), getattr(cloudpickle, "__version__", None))
    wanted = (python or found[0], cloudpickle_version or found[1] or "")
    reason = mismatch(found, wanted, "this trial")
    if reason is not None or cloudpickle is None:
        raise TrialFailed(reason or "cloudpickle is not installed in this trial's environment"
                          " — add `pip install cloudpickle` to the image's build steps", MISMATCH)
    return cloudpickle


def load_function(cloudpickle: Any, group_dir: Path) -> Any:
    """The pickled function of the group in ``group_dir``.

    Raises:
        TrialFailed: the file is missing or does not unpickle (e.g. a module it refers to by
            name is not importable here).
    """
    path = group_dir / FUNCTION_FILE
    try:
        with open(path, "rb") as fh:
            return cloudpickle.load(fh)
    except FileNotFoundError:
        raise TrialFailed(f"no pickled function at {path} — was the group folder moved?") from None
    except Exception as exc:
        _print_traceback()
        raise TrialFailed(f"cannot load the function from {path}: {last_line(exc)}") from exc


def last_line(exc: BaseException) -> str:
    """The last line of the exception's traceback: ``ValueError: lr must be positive``."""
    import traceback

    return traceback.format_exception_only(type(exc), exc)[-1].strip()


def _print_traceback() -> None:
    import traceback  # only on failure: importing it costs a trial about 20 ms

    traceback.print_exc()


def call(function: Any, params: dict[str, Any]) -> None:
    """Call ``function(**params)`` and log the metrics it returns.

    Raises:
        TrialFailed: the function raised, or returned something other than a dict or None.
    """
    from jupyter_mlpipe import tracking

    name = getattr(function, "__name__", "the function")
    try:
        result = function(**params)
    except Exception as exc:
        _print_traceback()
        raise TrialFailed(last_line(exc)) from exc
    if result is None:
        return
    if not isinstance(result, dict):
        raise TrialFailed(
            f"{name} returned {type(result).__name__}, not a dict of final metrics — return"
            " e.g. {'accuracy': acc} (or nothing)"
        )
    try:
        tracking.log_metrics(**{str(k): v for k, v in result.items()})
        tracking.flush()
    except tracking.TrackingError as exc:
        raise TrialFailed(f"{name} returned metrics that cannot be logged: {exc}") from exc


def write_reason(outputs: Path, reason: str) -> None:
    """Leave the one-line reason where the sweep driver looks (best effort)."""
    try:
        (outputs / REASON_FILE).write_text(reason.splitlines()[0][:500] + "\n", encoding="utf-8")
    except (OSError, IndexError):
        pass


def parse_args(argv: Sequence[str]) -> dict[str, str]:
    """``--python X.Y --cloudpickle V`` (parsed by hand: argparse costs a trial 20 ms).

    Raises:
        TrialFailed: (code :data:`MISMATCH`) anything else on the command line.
    """
    wanted = {"--python": "python", "--cloudpickle": "cloudpickle"}
    args = list(argv)
    found: dict[str, str] = {}
    while args:
        flag = args.pop(0)
        if flag not in wanted or not args:
            raise TrialFailed(
                f"usage: python -m {__spec__.name if __spec__ else __name__} --python X.Y"
                f" --cloudpickle VERSION (got {flag!r}) — the generated spec.yml was edited",
                MISMATCH,
            )
        found[wanted[flag]] = args.pop(0)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    from jupyter_mlpipe import tracking

    outputs = Path(tracking.get_outputs_path())
    try:
        (outputs / REASON_FILE).unlink()  # a retry starts without the last attempt's reason
    except FileNotFoundError:
        pass
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        cloudpickle = check_versions(args.get("python"), args.get("cloudpickle"))
        function = load_function(cloudpickle, outputs.parent)
        call(function, tracking.get_params())
    except TrialFailed as failed:
        print(f"mlpipe: {failed}", file=sys.stderr, flush=True)
        write_reason(outputs, str(failed))
        return failed.code
    finally:
        tracking.flush()  # what the function logged before it raised is kept
    return 0


if __name__ == "__main__":
    sys.exit(main())
