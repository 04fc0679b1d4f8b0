"""Turn what the Python API returns into plain JSON values.

The API hands back records (frozen dataclasses with ``to_dict``), pandas DataFrames, numpy
values and paths. The browser needs strict JSON: no NaN, no Infinity, no numpy scalars.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any


def jsonable(value: Any) -> Any:
    """Return ``value`` as nested dicts, lists, str, int, float (finite), bool and None.

    Non-finite floats and pandas' missing markers become ``None``; objects with ``to_dict``
    (records) and dataclasses become dicts; DataFrames become a list of row dicts; numpy
    arrays become lists; paths and anything else unknown become strings.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    return _jsonable_foreign(value)


def _jsonable_foreign(value: Any) -> Any:
    kind = type(value).__module__.split(".")[0]
    if kind == "pandas":
        return _pandas(value)
    if kind == "numpy":
        if hasattr(value, "tolist"):
            return jsonable(value.tolist())
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return jsonable(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    return str(value)


def _pandas(value: Any) -> Any:
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return frame_records(value)
    if isinstance(value, pd.Series):
        return jsonable(value.to_dict())
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def frame_records(frame: Any, index_name: str | None = None) -> list[dict[str, Any]]:
    """Rows of a DataFrame as dicts; a named index becomes a column of that name.

    Args:
        frame: a pandas DataFrame.
        index_name: the key for the index (default: the index's own name; an unnamed
            RangeIndex is dropped).
    """
    import pandas as pd

    name = index_name or frame.index.name
    keep_index = name is not None and not isinstance(frame.index, pd.RangeIndex)
    columns = [str(c) for c in frame.columns]
    rows = []
    for key, values in zip(frame.index, frame.itertuples(index=False, name=None), strict=True):
        row = {c: _cell(v) for c, v in zip(columns, values, strict=True)}
        if keep_index:
            row = {str(name): _cell(key), **row}
        rows.append(row)
    return rows


def _cell(value: Any) -> Any:
    # Cheap path for the common scalar types before the general conversion.
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, bool, int)):
        return value
    try:
        import pandas as pd

        if pd.isna(value) is True:
            return None
    except (TypeError, ValueError):
        pass
    return jsonable(value)
