"""clear-sweep's Sobol' points against scipy.stats.qmc.Sobol unscrambled (issue 16): the
same direction numbers (Joe & Kuo), the same Gray-code order, every dimension the
search's sobol sampler supports, 4096 points, to the last of 32 bits.

usage: test_sobol_scipy.py SOBOL_DUMP"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "model"))
from hf_reference import check, finish, require  # noqa: E402

require("numpy", "scipy")
import numpy as np  # noqa: E402
from scipy.stats import qmc  # noqa: E402

DUMP = sys.argv[1]
N = 4096


def main():
    dims = None
    for d in range(1, 64):  # the dump refuses dimensions past its table
        if subprocess.run([DUMP, "1", str(d)], capture_output=True).returncode != 0:
            dims = d - 1
            break
    check(dims is not None and dims >= 8, f"sobol supports {dims} dimensions (the search needs a handful)")
    out = subprocess.run([DUMP, str(N), str(dims)], capture_output=True, text=True, check=True).stdout
    ours = np.array([[int(v) for v in line.split()] for line in out.splitlines()], dtype=np.uint64)
    theirs = qmc.Sobol(d=dims, scramble=False, bits=32).random(N)
    theirs = np.round(theirs * 2.0**32).astype(np.uint64)
    for k in range(dims):
        first = np.nonzero(ours[:, k] != theirs[:, k])[0]
        check(first.size == 0, f"dimension {k}: {N} points equal scipy's"
              + ("" if first.size == 0 else f" (first difference at point {first[0]})"))
    finish()


main()
