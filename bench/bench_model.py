"""Inference latency and throughput of an ActionClassifier (features included), CPU.

Batch 1 = what the live action node does per tracked person and hop; batched = evaluation.
Writes bench/results/model_latency.json.

  python bench/bench_model.py --model har_ros/models/default --threads 1
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _windows(clf, n: int):
    """Realistic windows: UTD-MHAD clips if present, else random skeletons."""
    import numpy as np

    data = ROOT.parent / "shared" / "data" / "utd_mhad"
    if data.is_dir():
        from har_ros.data.utd import load_utd_mhad
        from har_ros.training import build_windows

        ds = load_utd_mhad(data, subjects=[2], trials=[1])
        wi = build_windows(ds.sequences, clf.rate_hz, clf.window_frames, 1)
        w = wi.gather(np.arange(len(wi)))
    else:
        rng = np.random.default_rng(0)
        w = rng.uniform(100, 400, (256, clf.window_frames, 18, 3)).astype(np.float32)
        w[..., 2] = 1.0
    return np.resize(w, (n,) + w.shape[1:]).astype(np.float32)


def _time(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> int:
    import numpy as np
    import torch

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=str(ROOT / "har_ros" / "models" / "default"))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=500)
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "model_latency.json"))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    from har_ros.classifier import ActionClassifier
    from har_ros.features import window_features

    clf = ActionClassifier.load(args.model)
    w = _windows(clf, 8192)
    one = w[:1]
    for _ in range(50):
        clf.predict_proba(one)
    total = _time(lambda: clf.predict_proba(one), args.repeats)
    feats = _time(lambda: window_features(one, clf.feature_config), args.repeats)
    x = torch.from_numpy(window_features(one, clf.feature_config))
    with torch.inference_mode():
        net = _time(lambda: clf._model(x), args.repeats)
    res = {"model": args.model, "threads": args.threads, "window_frames": clf.window_frames,
           "rate_hz": clf.rate_hz, "model_config": clf.checkpoint.model_config.to_dict(),
           "cpu": platform.processor() or platform.machine(), "torch": torch.__version__}
    for name, ts in (("batch1_total", total), ("batch1_features", feats), ("batch1_network", net)):
        res[f"{name}_ms_median"] = 1e3 * float(np.median(ts))
        res[f"{name}_ms_p90"] = 1e3 * float(np.percentile(ts, 90))
    for bs in (256, 1024, 4096):
        clf.predict_proba(w[:bs], batch_size=bs)
        ts = _time(lambda bs=bs: clf.predict_proba(w[:8192], batch_size=bs), 3)
        res[f"batched_{bs}_windows_per_s"] = 8192 / float(np.median(ts))
    Path(args.out).write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
