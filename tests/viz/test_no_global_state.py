"""Drawing leaves matplotlib's global state alone: importing or using vimo.viz keeps the caller's backend."""

import subprocess
import sys

SCRIPT = """
import matplotlib
matplotlib.use("svg")
import pkgutil, importlib, vimo.viz
for m in pkgutil.iter_modules(vimo.viz.__path__):
    importlib.import_module("vimo.viz." + m.name)
import vimo.demo, vimo.apps.dataset, vimo.eval.robustness
from vimo.data.synthetic import walking_motion
from vimo.viz.contact_sheet import contact_sheet
contact_sheet([("walk", walking_motion(30))], "{out}")
import matplotlib.pyplot as plt
print(matplotlib.get_backend(), len(plt.get_fignums()))
"""


def test_importing_and_drawing_keep_the_callers_backend(tmp_path):
    out = tmp_path / "sheet.png"
    run = subprocess.run([sys.executable, "-c", SCRIPT.format(out=out)], capture_output=True, text=True, check=True)
    assert run.stdout.split()[-2:] == ["svg", "0"]  # the backend set before, no pyplot figure left open
    assert out.stat().st_size > 0
