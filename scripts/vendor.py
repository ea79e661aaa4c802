"""Fetch pinned front-end assets from the npm registry into static/vendor/.

Run: python scripts/vendor.py   (needs `npm` on PATH; nothing is loaded from a CDN
at run time). Each package is fetched as the registry's tarball with `npm pack`,
its integrity checked by npm, and only the listed files are kept.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"

PACKAGES = {
    "bootstrap": {
        "version": "5.3.9",
        "files": {
            "dist/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
            "dist/css/bootstrap.rtl.min.css": "bootstrap/bootstrap.rtl.min.css",
            "LICENSE": "bootstrap/LICENSE",
        },
    },
    "axe-core": {
        "version": "4.14.1",
        "files": {"axe.min.js": "axe-core/axe.min.js", "LICENSE": "axe-core/LICENSE"},
    },
}


def fetch(name: str, spec: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["npm", "pack", f"{name}@{spec['version']}", "--json", "--pack-destination", tmp],
            check=True, capture_output=True, text=True,
        )
        info = json.loads(out.stdout)[0]
        with tarfile.open(Path(tmp) / info["filename"]) as tar:
            for source, target in spec["files"].items():
                member = tar.extractfile(f"package/{source}")
                if member is None:
                    raise SystemExit(f"{name}: {source} missing from the package")
                dest = VENDOR / target
                dest.parent.mkdir(parents=True, exist_ok=True)
                with dest.open("wb") as fh:
                    shutil.copyfileobj(member, fh)
        return {"version": info["version"], "integrity": info["integrity"]}


def main() -> int:
    lock = {name: fetch(name, spec) for name, spec in PACKAGES.items()}
    (VENDOR / "versions.json").write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n")
    for name, entry in lock.items():
        print(f"{name} {entry['version']} {entry['integrity']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
