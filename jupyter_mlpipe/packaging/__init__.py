"""Model packages: the s2i (Seldon) or MLServer folder built from an experiment's checkpoint.

``write_package`` is the entry point; ``read_lineage``/``update_lineage`` read and extend the
package's ``lineage.json`` (builders record the image and digest there).
"""

from .lineage import read_lineage, update_lineage
from .records import FORMATS, MLSERVER, SELDON, CheckpointInfo, PackageInfo
from .writer import LINEAGE, write_package

__all__ = [
    "FORMATS", "LINEAGE", "MLSERVER", "SELDON", "CheckpointInfo", "PackageInfo", "read_lineage",
    "update_lineage", "write_package",
]
