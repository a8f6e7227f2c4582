"""Executes one notebook with nbclient (as `jupyter nbconvert --execute` would) and reports its outputs.

Usage: run_notebook.py NOTEBOOK OUT.json — runs in the notebook's folder with the kernel its metadata
names; writes the executed notebook next to OUT.json and a summary of every code cell to OUT.json.
"""
import json
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main():
    path, out = sys.argv[1], sys.argv[2]
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    client = NotebookClient(nb, timeout=180, startup_timeout=60, resources={"metadata": {"path": os.path.dirname(path)}})
    failure = None
    try:
        client.execute()
    except CellExecutionError as e:
        failure = str(e)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cells.append({
            "source": cell.source,
            "execution_count": cell.get("execution_count"),
            "outputs": [{"output_type": o.output_type, "mimes": sorted(o.get("data", {}).keys()), "ename": o.get("ename"), "text": o.get("text", o.get("data", {}).get("text/plain", ""))} for o in cell.outputs],
        })
    nbformat.write(nb, out + ".ipynb")
    with open(out, "w") as f:
        json.dump({"failure": failure, "cells": cells}, f)


if __name__ == "__main__":
    main()
