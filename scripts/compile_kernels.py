"""Compile (or load from numba's on-disk cache) the tracking, resampling, feature and LSTM
loops, so the first message a node handles, or the first test that starts one, does not wait
~20 s for it.

  python scripts/compile_kernels.py                 # the installed har_ros
  python scripts/compile_kernels.py --source-tree   # the checkout's (what the tests import)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-tree", action="store_true",
                        help="compile the modules of this checkout instead of the installed ones")
    args = parser.parse_args()
    if args.source_tree:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    t0 = time.perf_counter()
    import numpy as np

    from har_ros.action_config import shipped_model_path
    from har_ros.classifier import ActionClassifier
    from har_ros.resample import resample_skeletons
    from har_ros.tracking import pose_distance

    for name in ("default", "penn"):
        ActionClassifier.load(shipped_model_path(name))  # runs one window through each path
    resample_skeletons(np.ones((2, 18, 3), np.float32), np.array([0.0, 0.1]), 15.0)
    pose_distance(np.ones((1, 18, 3), np.float32), np.ones((2, 18, 3), np.float32))
    import har_ros

    where = Path(har_ros.__file__).parent
    print(f"compiled kernels of {where} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
