"""Execute a notebook top to bottom in a Jupyter kernel; exit non-zero on the first error.

python docs/run_notebook.py docs/explore.ipynb
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def main(path: str) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(Path(path).parent)}},
    )
    client.execute()
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    errors = [o for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        raise SystemExit(f"{path}: {len(errors)} cell(s) raised")
    print(f"{path}: executed {len(cells)} code cells, no errors")


if __name__ == "__main__":
    main(sys.argv[1])
