"""Clip accuracy of action models on UTD-MHAD's unseen test subjects seen from fixed cameras.

The test subjects' 3D Kinect skeletons (subjects 2, 4, 6, 8: people never seen in training) are
rendered through virtual pinhole cameras (har_ros/viewpoint.py) at the placements of issue #10:
azimuth 0, 45, 90, 135, 180 degrees at elevation 0, and azimuth 0 and 90 at elevation 45 and
70; a 640x480 camera (f = 525 px) 4 m from the body centre, perspective. "orthographic" is the
frontal projection the first models were trained and tested on. Each model is evaluated on
exactly the same clips; several models of one recipe (seeds) are summarised as mean ± std.

  python -m bench.bench_viewpoints --model old=har_ros/models/default \\
      --model new_s0=runs/views_s0 --model new_s1=runs/views_s1 --out bench/results/viewpoints.json

Writes JSON (per model, per placement: clip accuracy, clips, windows) and prints a Markdown
table; a model name's part before '_s' groups seeds into one recipe row.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: (azimuth, elevation) in degrees.
PLACEMENTS: tuple[tuple[float, float], ...] = (
    (0, 0), (45, 0), (90, 0), (135, 0), (180, 0), (0, 45), (90, 45), (0, 70), (90, 70))
TEST_SUBJECTS = (2, 4, 6, 8)
DISTANCE_M, FOCAL_PX = 4.0, 525.0
TARGETS = {"frontal": 0.93, "other": 0.88, "mean": 0.90}


def placement_name(az: float, el: float) -> str:
    return f"az{az:g}_el{el:g}"


def test_views(data_root: Path, detector_errors: str = "", seed: int = 0) -> dict[str, list]:
    """Placement name -> the rendered test sequences ('orthographic' = as loaded). With
    ``detector_errors`` (a measured error model, har_ros/pose_noise.py) every clip also gets
    the pose detector's misses, jitter and left/right swaps, as served skeletons have them
    (each clip drawn as one window, seeded)."""
    from dataclasses import replace

    from har_ros.data.utd import load_utd_mhad
    from har_ros.pose_noise import apply_detector_errors, load_error_model
    from har_ros.viewpoint import VirtualCamera, render_sequence

    ds = load_utd_mhad(data_root, subjects=list(TEST_SUBJECTS))
    views = {"orthographic": ds.sequences}
    for az, el in PLACEMENTS:
        cam = VirtualCamera(az, el, DISTANCE_M, FOCAL_PX)
        views[placement_name(az, el)] = [render_sequence(s, cam) for s in ds.sequences]
    if detector_errors:
        model, rng = load_error_model(detector_errors), np.random.default_rng(seed)
        views = {name: [replace(s, skeletons=apply_detector_errors(s.skeletons[None], rng,
                                                                   model)[0]) for s in seqs]
                 for name, seqs in views.items()}
    return views


def evaluate_model(clf, views: dict[str, list], merge: dict[str, str] | None = None
                   ) -> dict[str, dict]:
    """Clip accuracy of ``clf`` (an ActionClassifier, loaded with the action node's
    mirror_average setting) on every view. Truth and prediction are compared by class name,
    after ``merge`` (name -> name, applied to both sides): a model trained with merged classes
    and one trained without are scored on the same terms."""
    from har_ros.data.utd import UTD_CLASSES
    from har_ros.training import evaluate_sequences

    merge = merge or {}
    truth_names = np.array([merge.get(c, c) for c in UTD_CLASSES])
    pred_names = np.array([merge.get(c, c) for c in clf.checkpoint.classes])
    out = {}
    for name, seqs in views.items():
        pred = evaluate_sequences(clf, seqs)
        right = truth_names[pred["clip_true"]] == pred_names[pred["clip_pred"]]
        out[name] = {"clip_accuracy": float(right.mean()),
                     "clips": int(len(pred["clip_true"])), "windows": int(pred["windows"])}
    return out


def mirror_name(name: str) -> str:
    """Row name of a model served with mirror averaging: new_s1 -> new+mirror_s1."""
    recipe, sep, seed = name.partition("_s")
    return f"{recipe}+mirror{sep}{seed}"


def summary(per_model: dict[str, dict]) -> dict[str, dict]:
    """Recipe (model name before '_s<seed>') -> placement -> mean, std, n over its models."""
    recipes: dict[str, list[dict]] = {}
    for name, res in per_model.items():
        recipes.setdefault(name.split("_s")[0], []).append(res)
    out = {}
    for recipe, runs in recipes.items():
        rows = {}
        for place in runs[0]:
            acc = np.array([r[place]["clip_accuracy"] for r in runs])
            rows[place] = {"mean": float(acc.mean()), "std": float(acc.std()), "n": len(acc)}
        placed = [rows[placement_name(a, e)]["mean"] for a, e in PLACEMENTS]
        rows["mean_over_placements"] = {"mean": float(np.mean(placed)), "n": len(runs)}
        rows["worst_placement"] = {"mean": float(np.min(placed)), "n": len(runs)}
        out[recipe] = rows
    return out


def markdown(summ: dict[str, dict]) -> str:
    cols = ["orthographic"] + [placement_name(a, e) for a, e in PLACEMENTS]
    head = "| recipe (seeds) | " + " | ".join(
        c.replace("az", "az ").replace("_el", " / el ") for c in cols) + " | mean | worst |"
    lines = [head, "|" + "---|" * (len(cols) + 3)]
    for recipe, rows in summ.items():
        cells = []
        for c in cols:
            r = rows[c]
            cells.append(f"{r['mean']:.3f}" + (f" ± {r['std']:.3f}" if r["n"] > 1 else ""))
        lines.append(f"| {recipe} ({rows[cols[0]]['n']}) | " + " | ".join(cells)
                     + f" | {rows['mean_over_placements']['mean']:.3f}"
                     + f" | {rows['worst_placement']['mean']:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", required=True, metavar="NAME=FOLDER",
                        help="a model to evaluate (repeat); NAME_s<k> groups seeds")
    parser.add_argument("--data-root", default=str(ROOT.parent / "shared/data/utd_mhad"))
    parser.add_argument("--detector-errors", default="",
                        help="also apply this measured pose-detector error model to the test "
                        "skeletons (e.g. openpose_mobilenet): skeletons as served")
    parser.add_argument("--merge", action="append", default=[], metavar="CLASS=INTO",
                        help="score CLASS as INTO on both sides (truth and prediction), e.g. "
                        "jog=walk for models trained with merge_classes {jog: walk}; repeat")
    parser.add_argument("--mirror-average", choices=("auto", "off", "both"), default="auto",
                        help="serve the models with the action node's mirror_average setting; "
                        "'both' evaluates every model without it (NAME) and with it "
                        "(NAME+mirror, for models trained with mirroring)")
    parser.add_argument("--out", default="", help="JSON file for the results")
    args = parser.parse_args(argv)
    from har_ros.classifier import ActionClassifier

    merge = dict(m.split("=", 1) for m in args.merge)
    t0 = time.monotonic()
    views = test_views(Path(args.data_root), args.detector_errors)
    print(f"rendered {len(views)} views of {len(views['orthographic'])} test clips",
          file=sys.stderr)
    per_model = {}
    modes = ("off", "auto") if args.mirror_average == "both" else (args.mirror_average,)
    for spec in args.model:
        name, _, path = spec.partition("=")
        for mode in modes:
            row = name if len(modes) == 1 or mode == "off" else mirror_name(name)
            clf = ActionClassifier.load(path, mirror_average=mode)
            if mode == "auto" and len(modes) > 1 and not clf.mirror_averaging:
                continue  # trained without mirroring: the row would repeat the 'off' one
            print(f"evaluating {row} ({path}) ...", file=sys.stderr)
            per_model[row] = evaluate_model(clf, views, merge)
    summ = summary(per_model)
    table = markdown(summ)
    print(table)
    if args.out:
        Path(args.out).write_text(json.dumps({
            "command": "python -m bench.bench_viewpoints " + " ".join(
                f"--model {m}" for m in args.model) + (
                f" --detector-errors {args.detector_errors}" if args.detector_errors else "")
            + "".join(f" --merge {m}" for m in args.merge)
            + f" --mirror-average {args.mirror_average}",
            "mirror_average": args.mirror_average,
            "merge": merge or None,
            "placements": {"azimuth_elevation_deg": [list(p) for p in PLACEMENTS],
                           "distance_m": DISTANCE_M, "focal_px": FOCAL_PX,
                           "image": [640, 480], "test_subjects": list(TEST_SUBJECTS)},
            "detector_errors": args.detector_errors or None,
            "targets": TARGETS, "models": {k: v for k, v in per_model.items()},
            "paths": dict(s.partition("=")[::2] for s in args.model),
            "summary": summ, "table_md": table,
            "seconds": round(time.monotonic() - t0, 1)}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
