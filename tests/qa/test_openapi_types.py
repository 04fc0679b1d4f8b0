"""The sidebar's TypeScript types are generated from openapi.yaml, and must not drift from it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "labextension"
GENERATOR = LAB / "node_modules" / ".bin" / "openapi-typescript"


def test_generated_types_match_the_openapi_document(tmp_path: Path) -> None:
    assert GENERATOR.exists(), (
        "openapi-typescript is not installed: run `npm ci` in labextension/ (make test does)"
    )
    node = shutil.which("node")
    assert node, "Node.js is needed to generate the sidebar's types"
    fresh = tmp_path / "openapi.d.ts"
    subprocess.run(
        [
            str(GENERATOR),
            str(REPO / "jupyter_mlpipe" / "serverext" / "openapi.yaml"),
            "-o",
            str(fresh),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    committed = (LAB / "src" / "openapi.d.ts").read_text(encoding="utf-8")
    assert fresh.read_text(encoding="utf-8") == committed, (
        "labextension/src/openapi.d.ts is out of date with openapi.yaml — run"
        " `npm run gen:types` in labextension/ and commit the result"
    )
