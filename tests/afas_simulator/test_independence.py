"""The simulator stands alone: it must not load the client it is there to catch out (only the catalog)."""

import subprocess
import sys


def test_simulator_does_not_import_the_client():
    code = (
        "import sys, afas_simulator; from afas_simulator import Simulator, default_config; "
        "Simulator(default_config()); "
        "print(sorted(m for m in sys.modules if m == 'afas' or m.startswith('afas.')), 'catalog' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] True", out
