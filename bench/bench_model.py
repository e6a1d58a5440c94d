"""Inference latency and throughput of an ActionClassifier (features included), CPU.

Batch 1 = what the live action node does per tracked person and hop (the default engine
"auto" runs it through the compiled kernel); batched = evaluation (PyTorch). Per-window figures
are without mirror averaging; ``batch1_mirror_averaged`` is one decision as the node serves it
by default (the window and its mirror image, har_ros/mirroring.py). Medians, p90 and
minima: this VM's timings vary by +-30 % run to run. Writes bench/results/model_latency.json.

  python bench/bench_model.py --model har_ros/models/default --threads 1
  python bench/bench_model.py --threads 2 --out bench/results/model_latency_2threads.json
"""

from __future__ import annotations

import argparse
import json
import os
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


def _backends(clf, x):
    """Other ways to run the same network at batch 1 (features excluded); name -> callable.

    Measured to decide how the node should run the model (README "Inference"): oneDNN's LSTM
    (torch's default on x86), torch's own kernels, a frozen TorchScript trace, torch.compile
    and ONNX Runtime when it is installed (not a dependency of the project).
    """
    import io

    import torch

    model = clf._model
    xn = x.numpy()
    out = {"compiled kernel (har_ros.lstm_kernel; engine auto/kernel)":
           lambda: clf._kernel.logits(xn),
           "torch (oneDNN LSTM; engine torch)": lambda: model(x)}

    def native():
        with torch.backends.mkldnn.flags(enabled=False):
            return model(x)

    out["torch, oneDNN off"] = native
    traced = torch.jit.freeze(torch.jit.trace(model, (x,)).eval())
    out["TorchScript, frozen"] = lambda: traced(x)
    import torch._inductor.config as inductor_config

    inductor_config.freezing = True  # weights as constants, so inductor may prepack them
    compiled = torch.compile(model)
    compiled(x)  # compiles here (15-30 s), not inside the timing
    out["torch.compile (inductor, freezing)"] = lambda: compiled(x)
    try:
        import onnx  # noqa: F401  (the exporter needs it)
        import onnxruntime as ort
    except ImportError as exc:
        out["onnxruntime"] = f"skipped: {exc.name} not installed"
        return out
    buf = io.BytesIO()
    torch.onnx.export(model, (x,), buf, dynamo=False, input_names=["x"],
                      dynamic_axes={"x": {0: "batch"}})
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(buf.getvalue(), opts, providers=["CPUExecutionProvider"])
    out["onnxruntime 1 thread"] = lambda: sess.run(None, {"x": xn})
    return out


def main() -> int:
    import numpy as np
    import torch

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=str(ROOT / "har_ros" / "models" / "default"))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=2000)
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "model_latency.json"))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    from har_ros.classifier import ActionClassifier
    from har_ros.features import window_features

    # Per-window figures without mirror averaging; one averaged decision (two windows) apart.
    clf = ActionClassifier.load(args.model, mirror_average="off")
    clf_mirror = ActionClassifier.load(args.model)
    clf_torch = ActionClassifier.load(args.model, engine="torch", mirror_average="off")
    w = _windows(clf, 8192)
    one = w[:1]
    for _ in range(50):
        clf.predict_proba(one)
        clf_torch.predict_proba(one)
        clf_mirror.predict_proba(one)
    total = _time(lambda: clf.predict_proba(one), args.repeats)
    total_torch = _time(lambda: clf_torch.predict_proba(one), args.repeats)
    feats = _time(lambda: window_features(one, clf.feature_config), args.repeats)
    mirrored = _time(lambda: clf_mirror.predict_proba(one), args.repeats)
    x = torch.from_numpy(window_features(one, clf.feature_config))
    res = {"model": args.model, "threads": args.threads, "window_frames": clf.window_frames,
           "rate_hz": clf.rate_hz, "model_config": clf.checkpoint.model_config.to_dict(),
           "cpu": platform.processor() or platform.machine(), "torch": torch.__version__,
           "mirror_average_default": clf_mirror.mirror_averaging,
           "load_average_start": list(os.getloadavg())}
    for name, ts in (("batch1_total", total), ("batch1_total_engine_torch", total_torch),
                     ("batch1_features", feats), ("batch1_mirror_averaged", mirrored)):
        res[f"{name}_ms_median"] = 1e3 * float(np.median(ts))
        res[f"{name}_ms_p90"] = 1e3 * float(np.percentile(ts, 90))
        res[f"{name}_ms_min"] = 1e3 * float(np.min(ts))
    # Per-window cost of small batches on each engine: where "auto" switches to PyTorch.
    res["small_batch_ms_per_window"] = {}
    for engine, c in (("kernel", ActionClassifier.load(args.model, engine="kernel")),
                      ("torch", clf_torch)):
        res["small_batch_ms_per_window"][engine] = {
            str(n): 1e3 * float(np.median(_time(lambda n=n, c=c: c.predict_proba(w[:n]),
                                                args.repeats // 4))) / n
            for n in (1, 2, 4, 8, 16, 32)}
    res["batch1_network_ms_median"] = {}
    with torch.inference_mode():
        for name, fn in _backends(clf, x).items():
            if isinstance(fn, str):
                res["batch1_network_ms_median"][name] = fn
                continue
            for _ in range(50):
                fn()
            res["batch1_network_ms_median"][name] = 1e3 * float(np.median(_time(fn, args.repeats)))
    res["batched_windows_per_s"] = {}
    for bs in (64, 128, 256, 1024, 4096):
        clf.predict_proba(w[:bs], batch_size=bs)
        ts = _time(lambda bs=bs: clf.predict_proba(w, batch_size=bs), 3)
        res["batched_windows_per_s"][str(bs)] = len(w) / float(np.median(ts))
    Path(args.out).write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
