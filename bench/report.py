"""docs/benchmarks.md and the README's results table, generated from bench/results/*.json.

Numbers are written by the benchmarks into bench/results; this module only renders them, so a
figure in the docs is always the one a benchmark measured (each section names its command).

  python -m bench.report            # print docs/benchmarks.md
  python -m bench.report --write    # write docs/benchmarks.md and the README's results block
  python -m bench.report --check    # exit 1 when either is out of date (a test runs this)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
README = ROOT / "README.md"
BEGIN, END = "<!-- results-table:begin -->", "<!-- results-table:end -->"

#: Viewpoint placements in the order of the benchmark's table.
PLACEMENTS = ("orthographic", "az0_el0", "az45_el0", "az90_el0", "az135_el0", "az180_el0",
              "az0_el45", "az90_el45", "az0_el70", "az90_el70")
#: Recipe names used in bench/results/viewpoints*.json, as readers know them.
VIEW_RECIPES = {
    "old": "frontal projections only (shipped first)",
    "before": "virtual cameras, elevation 0-70, detector errors",
    "prev": "elevation 0-85, shoulder-aware scale, 150 epochs (shipped before, seed 0)",
    "m400": "walk and jog merged, 400 epochs (shipped before), mirror averaging off",
    "m400+mirror": "walk and jog merged, 400 epochs (shipped before), mirror averaging",
    "new": "800 epochs (the shipped recipe), mirror averaging off",
    "new+mirror": "**shipped**: 800 epochs, served with mirror averaging (the default)",
    "side": "one side only: azimuth 45-135 (config/train_utd_side.yaml)",
    "distilled+mirror": "distilled from the three 400-epoch models, mirror averaging",
    "distilled": "distilled from the three 400-epoch models, mirror averaging off",
}
#: Walker result files and the model each measured.
WALKER_FILES = (
    ("walkers_old_default.json", "frontal model shipped first"),
    ("walkers_final_s1.json", "elevation 0-70 recipe, seed 1"),
    ("walkers_final_s2.json", "elevation 0-70 recipe, seed 2"),
    ("walkers_prev_default.json", "walk and jog apart (shipped before, seed 0)"),
    ("walkers_prev_default_s1.json", "walk and jog apart, seed 1"),
    ("walkers_prev_default_s2.json", "walk and jog apart, seed 2"),
    ("walkers_m400_nomirror.json", "merged, 400 epochs (shipped before, seed 0), no mirror "
                                   "averaging"),
    ("walkers_m400_s1_nomirror.json", "merged, 400 epochs, seed 1, no mirror averaging"),
    ("walkers_m400_s2_nomirror.json", "merged, 400 epochs, seed 2, no mirror averaging"),
    ("walkers_m400.json", "merged, 400 epochs (seed 0), mirror averaging"),
    ("walkers_m400_s1.json", "merged, 400 epochs, seed 1, mirror averaging"),
    ("walkers_m400_s2.json", "merged, 400 epochs, seed 2, mirror averaging"),
    ("walkers_default.json", "**shipped**: 800 epochs (seed 0), mirror averaging (default)"),
    ("walkers_default_s1.json", "shipped recipe, seed 1"),
    ("walkers_default_s2.json", "shipped recipe, seed 2"),
    ("walkers_default_online.json", "**shipped**, played live into the action node"),
)


def load(name: str) -> dict | None:
    """One results file, or None when the benchmark has not been run."""
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else None


def table(head: list[str], rows: list[list[object]]) -> str:
    """A markdown table; floats are printed as given (format them before)."""
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def minute_medians(samples: list[list[float]]) -> tuple[float, float]:
    """Median RSS of the second minute and of the last full minute of soak samples
    ([seconds, MiB] pairs): single samples catch large buffers that are freed moments later."""
    import statistics

    end = max(t for t, _ in samples)
    second = [m for t, m in samples if 60 <= t < 120] or [samples[0][1]]
    last = [m for t, m in samples if end - 60 < t <= end] or [samples[-1][1]]
    return statistics.median(second), statistics.median(last)


def pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f} %"


def ms(d: dict) -> str:
    """'median / p95' of a {median, p95} dict in ms."""
    return f"{d['median']:.0f} / {d['p95']:.0f}"


def _load_note(d: dict) -> str:
    m = d.get("machine")
    la = (m or {}).get("load_average_1min_at_start") if isinstance(m, dict) else None
    if la is None:
        la = (d.get("load_average") or d.get("load_average_start") or [None])[0]
    note = f" Load average at the start: {la:.1f}." if isinstance(la, (int, float)) else ""
    if isinstance(m, dict) and m.get("cpu_model"):
        ext = ", ".join(m.get("cpu_extensions") or []) or "no AVX2"
        note += f" CPU: {m['cpu_model']} ({ext})."
    return note


# --- sections ---------------------------------------------------------------------------


def pose() -> str:
    d, rt, node = load("pose.json"), load("pose_runtime.json"), load("pose_node.json")
    parts = ["## Pose estimation"]
    if d:
        rows = [[name, ms(r["total_ms"]), ms(r.get("network_ms") or {"median": 0, "p95": 0})
                 if r.get("network_ms") else "", f"{r['mean_people']:.1f}"]
                for name, r in d["rows"].items() if r.get("available")]
        parts += [f"`python -m bench.bench_pose`: per 640x480 frame of {d['video']} "
                  f"({d['frames']} frames), cv2.dnn.{_load_note(d)}",
                  table(["backend", "ms per frame (median / p95)", "network", "people/frame"],
                        rows)]
    if rt:
        rows = []
        for h, nh in rt["net_heights"].items():
            for name, r in nh["rows"].items():
                ro = r["runs_on"]
                ratio = (f"{nh['speedup_median']:.2f}x; same people in {nh['same_people_frames']}"
                         if name == "openvino" else "")
                rows.append([h, f"{ro['runtime']} {ro['precision']}", ms(r["total_ms"]),
                             ms(r["network_ms"]), f"{r['mean_people']:.1f}", ratio])
        parts += [f"`python -m bench.bench_pose_runtime`: cv2.dnn and OpenVINO in alternation on "
                  f"the same {rt['frames']} frames of {rt['video']}, f32 on the CPU. Load "
                  f"average {rt['load_average_start'][0]:.1f} at the start (2 cores).",
                  table(["net height", "runtime", "ms per frame", "network", "people/frame",
                         "cv2.dnn / OpenVINO"], rows)]
    parts += pose_int8()
    ids = load("id_switches.json")
    if ids:
        parts += [f"`python -m bench.bench_id_switches` (tracker on {ids['video']}, three people "
                  f"all along, net {ids['net_height']}, {ids['runs_on'].get('runtime', '')}): "
                  f"{ids['id_switches']} id switches in {ids['observations']:,} person-frames "
                  f"({ids['frames']} frames, {ids['frames_with_three_people']} with all three "
                  f"people found)."]
    demo = load("demo.json")
    if demo:
        parts += [f"`{demo['command']}` ({demo['video']}, {demo['frames_published']} frames at "
                  f"{demo['fps']:.0f} fps, {demo['runtime']}): {demo['frames_processed']} "
                  f"frames processed (the rest dropped by the newest-frame policy), "
                  f"{demo['tracks']} tracks, backend p50 {demo['backend_ms_p50']:.0f} ms."
                  f"{_load_note(demo)}"]
    if node:
        parts += [f"`python -m bench.bench_pose_node`: the pose node's own work around the backend "
                  f"(conversion, tracking, message, publish) on {node['video']}: "
                  f"{node['overhead_ms']['median']:.2f} ms median, "
                  f"{node['overhead_ms']['p95']:.2f} ms p95, "
                  f"{pct(node['overhead_ratio_median'])} of the backend's time.{_load_note(node)}"]
    return "\n\n".join(parts)


def pose_int8() -> list[str]:
    """The INT8 comparison (bench/results/pose_int8.json), as paragraphs."""
    d = load("pose_int8.json")
    if not d:
        return []
    rows, agree = [], []
    for h, nh in d["net_heights"].items():
        for name, r in nh["rows"].items():
            if not r.get("available"):
                continue
            ratio = {"openvino f32": f"cv2.dnn / OpenVINO f32 "
                                     f"{nh.get('opencv_over_openvino_f32', 0):.2f}x",
                     "openvino int8": f"f32 / int8 {nh.get('f32_over_int8', 0):.2f}x",
                     "openvino bf16": f"f32 / bf16 {nh.get('f32_over_bf16', 0):.2f}x"}
            rows.append([h, f"{name} ({r['runs_on']['runtime']})", ms(r["total_ms"]),
                         ms(r["network_ms"]), f"{r['mean_people']:.2f}", ratio.get(name, "")])
        for tag in ("int8", "bf16"):
            per = {**nh.get(f"{tag}_vs_f32_per_clip", {}), "all clips": nh.get(f"{tag}_vs_f32")}
            for clip, a in per.items():
                if not a:
                    continue
                agree.append([h, tag, clip, f"{a['people_per_frame_ref']:.2f} / "
                              f"{a['people_per_frame_other']:.2f}", a["matched_people"],
                              a["only_in_ref"], a["only_in_other"],
                              pct(a["joints_found_by_both"]),
                              f"{a['joint_distance_px_median']:.1f} / "
                              f"{a['joint_distance_px_p95']:.1f}"])
    return [
        f"`python -m bench.bench_pose_int8` (after `har-ros quantize-pose --net-height 368 "
        f"256`): cv2.dnn f32, OpenVINO f32, int8 and bf16 in turn on the same "
        f"{d['frames']} frames ({d['frames_per_clip']} each of {', '.join(d['clips'])}, "
        f"640x480; vtest.avi is the calibration clip, its calibration frames skipped). Load "
        f"average {d['load_average_start'][0]:.1f} at the start (2 cores, shared).",
        table(["net height", "runtime", "ms per frame", "network", "people/frame", "ratio"],
              rows),
        "Agreement of int8 and bf16 with OpenVINO f32 (people matched per frame on joint "
        "distance; joints found by both among those either found, in matched people). bf16, "
        "whose maps differ from f32 far less than int8's, shows how much the decoder's people "
        "count moves under any small change:",
        table(["net height", "vs f32", "clip", "people/frame f32 / other", "matched",
               "f32 only", "other only", "joints found by both",
               "joint distance px (median / p95)"], agree),
    ]


def action_node() -> str:
    d, d10, lat = load("action_node.json"), load("action_node_10min.json"), load("latency.json")
    parts = ["## Action node and latency"]
    rows = []
    if d:
        rows.append([f"CPU, {d['cameras']} cameras x {d['tracks_per_camera']} tracks at "
                     f"{d['fps']:.0f} fps (`python -m bench.bench_action_node`)",
                     f"{d['core_percent']:.1f} % of one core ({d['ms_per_window']:.2f} ms per "
                     f"window, {d['ms_per_frame']:.2f} ms per SkeletonArray)", "< 10 %"])
    if d10:
        first = next(v for t, v in d10["rss_mb"] if t >= 60)
        rows.append([f"memory over {d10['input_seconds'] / 60:.0f} minutes of input "
                     f"({d10['windows']:,} windows)",
                     f"{first:.1f} MiB after warm-up -> {d10['rss_mb'][-1][1]:.1f} MiB", "flat"])
    if lat:
        for key, name in (("one_process", "`har-ros run` (one process)"),
                          ("two_processes", "two processes")):
            r = lat[key]
            rows.append([f"image -> ActionStamped, {name} (`python -m bench.bench_latency`)",
                         f"p50 {r['latency_ms_p50']:.0f} ms, p95 {r['latency_ms_p95']:.0f} ms; "
                         f"SkeletonArray -> ActionStamped p95 "
                         f"{r['skeletons_to_action_ms_p95']:.1f} ms", "backend + < 10 ms"])
    parts.append(table(["measure", "result", "target"], rows))
    m = load("model_latency.json")
    if m:
        nets = "; ".join(f"{k}: {v:.2f} ms" if isinstance(v, float) else f"{k}: {v}"
                         for k, v in m["batch1_network_ms_median"].items())
        batched = max(m["batched_windows_per_s"].values())
        m2 = load("model_latency_2threads.json")
        b2 = f", {max(m2['batched_windows_per_s'].values()):,.0f} with 2 threads" if m2 else ""
        parts += [f"Inference (`python bench/bench_model.py`, {m['threads']} thread): features + "
                  f"network at batch 1 **{m['batch1_total_ms_median']:.3f} ms** median "
                  f"(p90 {m['batch1_total_ms_p90']:.3f}; PyTorch engine "
                  f"{m['batch1_total_engine_torch_ms_median']:.2f} ms), features "
                  f"{m['batch1_features_ms_median']:.3f} ms"
                  + (f"; one decision with mirror averaging (the window and its mirror image, "
                     f"the node's default) **{m['batch1_mirror_averaged_ms_median']:.3f} ms**"
                     if "batch1_mirror_averaged_ms_median" in m else "")
                  + f"; batched up to {batched:,.0f} "
                  f"windows/s{b2}. Target: < 0.3 ms at batch 1. Network alone by runtime: "
                  f"{nets}."]
    return "\n\n".join(parts)


def _mean_std(v: list[float]) -> str:
    return f"{v[0]:.3f} ± {v[1]:.3f}"


def model() -> str:
    d = load("model_targets.json")
    parts = ["## Action model accuracy"]
    if d:
        s = d["summary"]
        names = {"ours": "ours", "seed": "predecessor recipe on raw pixels",
                 "seed_std": "predecessor recipe, standardised inputs",
                 "seed_net": "predecessor network, our optimiser"}
        rows = []
        for v, name in names.items():
            u, p = s.get(f"utd/{v}"), s.get(f"penn/{v}")
            rows.append([name, _mean_std(u["clip_accuracy"]) if u else "",
                         _mean_std(p["clip_accuracy"]) if p else "",
                         f"{u['train_minutes'][0]:.1f} / {p['train_minutes'][0]:.1f}"
                         if u and p else ""])
        cv = s.get("penn_cross_view/ours")
        if cv:
            rows.append(["ours, Penn trained on front/back views, tested on side views", "",
                         _mean_std(cv["clip_accuracy"]), ""])
        pc = load("penn_cross_view.json")
        if pc:
            a = pc["after"]["summary"]
            acc = a.get("clip_accuracy") if isinstance(a, dict) else None
            if isinstance(acc, list):
                rows.append(["the same with the 2D viewpoint augmentation", "",
                             f"**{_mean_std(acc)}**", ""])
        parts += ["`python bench/train_targets.py`: clip-level top-1 on the test split, mean ± "
                  "std over seeds; UTD-MHAD cross-subject (train s1,3,5,7, test s2,4,6,8), Penn "
                  "Action official split. Frontal recipe (`config/train_utd_frontal.yaml`); the "
                  "view-robust default is under Viewpoints.",
                  table(["recipe", "UTD-MHAD cross-subject", "Penn Action official",
                         "train min (UTD / Penn)"], rows)]
    ab = load("model_ablations.json")
    if ab:
        rows = [[r["dataset"], r["change"], f"{r['clip_accuracy']:.3f}"] for r in ab["runs"]]
        parts += ["Ablations (one seed each, `bench/results/model_ablations.json`):",
                  table(["data", "change", "clip accuracy"], rows)]
    return "\n\n".join(parts)


def _view_rows(d: dict) -> list[list[object]]:
    rows = []
    for key, s in d["summary"].items():
        n = s["orthographic"]["n"]
        cells = [f"{s[p]['mean']:.3f}" + (f" ± {s[p]['std']:.3f}" if n > 1 else "")
                 for p in PLACEMENTS]
        rows.append([f"{VIEW_RECIPES.get(key, key)} ({n} model{'s' if n > 1 else ''})", *cells,
                     f"{s['mean_over_placements']['mean']:.3f}",
                     f"{s['worst_placement']['mean']:.3f}"])
    return rows


def viewpoints() -> str:
    parts = ["## Viewpoints"]
    head = ["recipe", *[p.replace("_", " / ") for p in PLACEMENTS], "mean", "worst"]
    for name, title in (("viewpoints.json", "clean test skeletons"),
                        ("viewpoints_served.json", "with the pose backend's measured errors")):
        d = load(name)
        if d:
            t = d["targets"]
            cmd = d["command"].split(" --model")[0] + " --model NAME=RUN ..." + (
                " --detector-errors " + d["detector_errors"] if d.get("detector_errors") else "")
            merged = ", ".join(f"{k} as {v}" for k, v in (d.get("merge") or {}).items())
            parts += [f"`{cmd}` ({title}): UTD-MHAD's unseen test subjects rendered "
                      "through fixed virtual cameras, clip accuracy"
                      + (f" (every model scored with {merged}, truth and prediction)"
                         if merged else "") + ". Targets: frontal >= "
                      f"{t['frontal']}, every placement >= {t['other']}, mean >= {t['mean']}.",
                      table(head, _view_rows(d))]
    side = load("viewpoints_side.json")
    if side:
        parts += ["A camera whose side is known (`config/train_utd_side.yaml`: azimuth 45-135, the "
                  "operator's right; no mirroring), beside the all-around models on the same "
                  f"placements (`{side['command'].split(' --model')[0]} --model NAME=RUN ...`):",
                  table(head, _view_rows(side))]
    da, v = load("viewpoints_direction_agnostic.json"), load("viewpoints.json")
    if da and v and "new+mirror" in v["summary"]:
        a, b = v["summary"]["new+mirror"], next(iter(da["summary"].values()))
        parts.append(
            "Where the shipped models stay under 0.88: scored with swipe_left = swipe_right and "
            "draw_circle_CW = draw_circle_CCW (`bench/results/viewpoints_direction_agnostic."
            "json`), the side view az 90 / el 0 rises from "
            f"{a['az90_el0']['mean']:.3f} to {b['az90_el0']['mean']:.3f}: seen from the side "
            "those pairs differ along the camera's axis, and a model that also sees the other "
            "side (and mirror images) mixes them up; one trained for that side alone does not "
            f"(above). From behind (az 180 / el 0: {b['az180_el0']['mean']:.3f} either way) "
            "most misses are knock taken for wave, catch for throw and throw for swipe_left.")
    ab = load("viewpoint_ablations.json")
    if ab:
        rows = [[r["change"], f"{r['placements']['mean']:.3f}", f"{r['placements']['worst']:.3f}",
                 f"{r['placements']['az0_el0']:.3f}",
                 pct(r["walkers_ok_walk_fraction"]) if r.get("walkers_ok_walk_fraction") else ""]
                for r in ab["runs"]]
        parts += ["Ablations (one seed each unless the change says otherwise; "
                  "`bench/results/viewpoint_ablations.json`):",
                  table(["change", "mean", "worst", "frontal", "walkers: OK says walk"], rows)]
    rows = []
    for name, title in WALKER_FILES:
        d = load(name)
        if d:
            w = d["offline"]["walkers"]
            rows.append([title, pct(w["ok_decisions_walk_fraction"]),
                         pct(w["ok_decisions_walk_or_jog_fraction"]),
                         pct(w["walk_time_fraction_mean"]),
                         f"{round(w['walkers_reaching_60pct'] * w['walkers_scored'])} of "
                         f"{w['walkers_scored']}"])
    if rows:
        parts += ["Real walkers (`python -m bench.bench_walkers --model M`: vtest.avi through "
                  "the pose backend, our per-track labels in "
                  "`test/nodes_for_tests/vtest_labels.yaml`). "
                  "Targets: 80 % of OK decisions say walk, walk 60 % of the time per walker.",
                  table(["model", "OK decisions that say walk", "walk or jog",
                         "walk time per walker", "walkers >= 60 %"], rows)]
    return "\n\n".join(parts)


def few_shot() -> str:
    d = load("few_shot.json")
    if not d:
        return ""
    groups = d["summary"]["groups"]
    # (init, freeze, method); the default's self-training teachers are its plain runs
    inits = sorted({(g["init"], g["freeze"], g.get("method", "plain"))
                    for g in groups.values()
                    if not (g.get("method") == "teacher" and g["init"] != "scratch")})
    shots = sorted({g["clips_per_class"] for g in groups.values()})
    name = {("scratch", "none"): "from scratch", ("default", "none"): "fine-tuned from default",
            ("default", "encoder"): "default, encoder frozen",
            ("previous_default", "none"): "fine-tuned from the previous default",
            ("previous_default", "encoder"): "previous default, encoder frozen"}
    method_name = {"lp_ft": " (linear probe first)",
                   "teacher": " (re-measured: the self-training teachers)",
                   "self_train": " + self-training on the unlabelled rest of the train split"}
    rows = []
    for n in shots:
        cells = []
        for key in inits:
            suffix = "" if key[2] == "plain" else f"/{key[2]}"
            g = groups.get(f"{n}/{key[0]}/{key[1]}{suffix}")
            cells.append(f"{g['accuracy_mean']:.3f} ± {g['accuracy_std']:.3f} ({g['draws']})"
                         if g else "")
        rows.append([n, *cells])
    header = [name.get(k[:2], f"{k[0]}, freeze {k[1]}") + method_name.get(k[2], "")
              for k in inits]
    return "\n\n".join([
        "## Few-shot adaptation",
        f"`python -m bench.bench_few_shot`: {d['benchmark']}; {d['recipe']}; init model: "
        f"{d['init_model']}. Clip accuracy "
        f"on the official test split, mean ± std (draws of training clips). Full data: "
        f"{d['full_data_accuracy']:.3f} ({d['full_data_source']}). Targets: +0.15 over scratch "
        "at 5 clips per class; >= 90 % of full data at 10. Plot: [few_shot.png](few_shot.png)."
        + (" Self-training: " + d["self_training"] + "; details in "
           "[few_shot.md](few_shot.md)." if "self_training" in d else ""),
        table(["clips per class", *header], rows)])


def bags() -> str:
    parts = ["## Whole pipeline on bags"]
    d = load("bag_eval.json")
    if d:
        rows = []
        for key, name in (("penn", "Penn Action official test split as a skeleton bag, Penn "
                                   "model"),
                          ("exercise", "exercise.avi image bag, hand labels, pose backend + "
                                       "tracker + Penn model")):
            r = d[key]["report"]
            c = r["clips"]
            rows.append([name, f"{r['frames']:,}", f"{c['accuracy']:.3f}",
                         f"{r['tracks']['frame']['accuracy']:.3f}", f"{r['x_real_time']:.2f}x"])
        parts += ["`python -m bench.bench_bag_eval`:",
                  table(["bag", "frames", "clip accuracy", "frame accuracy (per track)",
                         "speed (x real time)"], rows)]
    b = load("bags.json")
    if b:
        rec, std = b["recording"], b["recording_default_transport"]
        total = rec["published_per_camera"] * rec["cameras"]
        parts.append(
            f"`python bench/bench_bags.py`: offline evaluation "
            f"{b['offline_skeleton_bag']['x_real_time']:.0f}x real time on a skeleton bag "
            f"({b['offline_skeleton_bag']['ms_per_frame']:.2f} ms per SkeletonArray), "
            f"{b['offline_image_bag']['x_real_time']:.2f}x on an image bag; recording "
            f"{rec['cameras']} cameras x {rec['width']}x{rec['height']} x {rec['fps']:.0f} fps "
            f"for {rec['seconds']:.0f} s ({rec['storage']}, {rec['MB_per_s']:.0f} MB/s): "
            f"{sum(rec['dropped'].values())} of {total:,} frames dropped with "
            f"config/fastdds_shm.xml, {sum(std['dropped'].values())} with the stock transports.")
    return "\n\n".join(parts)


def cell() -> str:
    parts = ["## Robot cell: fault timings and bandwidth"]
    f = load("fault_timings.json")
    if f:
        rows = [[k.replace("_", " "), " / ".join(f"{x:.2f}" for x in v["runs_s"]),
                 "yes" if v["within_budget"] else "no"] for k, v in f["scenarios"].items()]
        parts += [f"`{f['command']}`: camera, pose node, action node and safety gate as separate "
                  f"processes; time from the fault to the gate's first safe `speed_scale`. "
                  f"Budget {f['budget_s']} s (2 heartbeats + the deadline); the action node "
                  f"reports input older than stale_after_s = {f['stale_after_s']} s as STALE."
                  f"{_load_note(f)}",
                  table(["fault", "fault -> safe (s, per run)", "within budget"], rows)]
    b = load("bandwidth.json")
    if b:
        s, r = b["serialized_bytes"], b["bytes_per_second"]
        rows = [[k.replace("_", " "), f"{v:,}"] for k, v in s.items()]
        rows += [[k.replace("_", " ") + " (bytes/s)", f"{v:,}"] for k, v in r.items()]
        parts += [f"`{b['command']}` (serialized message sizes, bytes):",
                  table(["message", "bytes"], rows)]
    return "\n\n".join(parts)


def reliability() -> str:
    parts = ["## Memory under hostile input"]
    s = load("soak.json")
    if s:
        r = s["rss_mib"]
        parts.append(
            f"`{s['command']}`: {s['messages_sent']['good']:,} good, "
            f"{s['messages_sent']['hostile']:,} hostile images and "
            f"{s['messages_sent']['bad_skeletons']:,} bad SkeletonArrays; nodes alive at the end: "
            f"{'yes' if s['nodes_alive_at_end'] else 'no'}; RSS {r['after_warmup_first']:.1f} MiB "
            f"after warm-up -> {r['last']:.1f} MiB at the end; median of the second minute "
            "{:.1f} -> of the last minute {:.1f} MiB (target: flat).".format(
                *minute_medians(r["samples"])) + _load_note(s))
    inv = load("soak_investigation.json")
    if inv:
        rows = [[r["hostile"], r["allocator_and_runtime"],
                 "" if r["minute2_to_last_mib"] is None else r["minute2_to_last_mib"],
                 r.get("finding", "")] for r in inv["runs"]]
        parts += ["Investigation (`bench/results/soak_investigation.json`):",
                  table(["hostile input", "allocator / runtime", "RSS minute 2 -> last (MiB)",
                         "finding"], rows)]
    return "\n\n".join(parts)


SECTIONS: tuple[Callable[[], str], ...] = (pose, action_node, model, viewpoints, few_shot, bags,
                                           cell, reliability)


def benchmarks_md() -> str:
    head = ("# Benchmarks\n\nGenerated by `python -m bench.report --write` from `bench/results/`"
            " (do not edit by hand). Machine: 2-core x86_64 VM, no GPU, Debian 12, Python 3.11, "
            "torch 2.13.0 CPU. Each section names the command that measured it; rerun it to "
            "check on yours.")
    return "\n\n".join([head, *(t for t in (s() for s in SECTIONS) if t)]) + "\n"


def results_table() -> str:
    """The README's one table of current figures (a row per headline measure)."""
    rows = []
    rt = load("pose_runtime.json")
    if rt:
        a = rt["net_heights"]["368"]["rows"]["openvino"]
        b = rt["net_heights"]["256"]["rows"]["openvino"]
        rows.append(["pose, 640x480, OpenVINO: net 368 / 256 (ms per frame, median; people "
                     "per frame)", f"{a['total_ms']['median']:.0f} ({a['mean_people']:.1f}) / "
                     f"{b['total_ms']['median']:.0f} ({b['mean_people']:.1f})",
                     "<= 100, people unchanged"])
    demo = load("demo.json")
    if demo and "processed_fraction" in demo:
        rows.append([f"`make demo`: {demo['video']} frames processed at {demo['fps']:.0f} fps",
                     pct(demo["processed_fraction"]), ">= 60 %"])
    lat = load("latency.json")
    if lat:
        rows.append(["image -> ActionStamped p95, `har-ros run` / two processes (ms)",
                     f"{lat['one_process']['latency_ms_p95']:.0f} / "
                     f"{lat['two_processes']['latency_ms_p95']:.0f}", "<= 120"])
    m = load("model_latency.json")
    if m:
        mirrored = m.get("batch1_mirror_averaged_ms_median")
        rows.append(["LSTM + features at batch 1 (ms): one window" + (
            " / one decision with mirror averaging (two windows)" if mirrored else ""),
            f"{m['batch1_total_ms_median']:.3f}" + (f" / {mirrored:.3f}" if mirrored else ""),
            "< 0.3"])
    a = load("action_node.json")
    if a:
        rows.append(["action node CPU, 12 tracks at 30 fps", f"{a['core_percent']:.1f} %",
                     "< 10 %"])
    t = load("model_targets.json")
    if t:
        rows.append(["Penn Action official split, clip accuracy (3 seeds)",
                     f"{t['summary']['penn/ours']['clip_accuracy'][0]:.3f}", ">= 0.97"])
    v = load("viewpoints.json")
    if v:
        s = v["summary"].get("new+mirror") or v["summary"]["new"]
        rows.append(["UTD-MHAD unseen subjects, 10 camera placements: frontal / mean / worst",
                     f"{s['az0_el0']['mean']:.3f} / {s['mean_over_placements']['mean']:.3f} / "
                     f"{s['worst_placement']['mean']:.3f}", ">= 0.93 / 0.90 / 0.88"])
    fs = load("few_shot.json")
    if fs:
        g = fs["summary"]["groups"]
        b = g.get("5/scratch/none")
        st = {k: max((g.get(f"{k}/{i}/none/self_train") or {}).get("accuracy_mean", 0.0)
                     for i in ("default", "scratch")) for k in (5, 10)}
        if b and all(st.values()) and g.get("10/scratch/none"):
            rows.append(["Penn Action, 5 / 10 clips per class, self-trained on unlabelled clips "
                         f"(labelled only: {b['accuracy_mean']:.3f} / "
                         f"{g['10/scratch/none']['accuracy_mean']:.3f})",
                         f"{st[5]:.3f} / {st[10]:.3f}", "+0.15 at 5 / >= 0.877 at 10"])
    w = load("walkers_default.json")
    if w:
        ww = w["offline"]["walkers"]
        rows.append(["vtest.avi walkers: OK decisions that say walk / walk time per walker",
                     f"{pct(ww['ok_decisions_walk_fraction'])} / "
                     f"{pct(ww['walk_time_fraction_mean'])}", ">= 80 % / >= 60 %"])
    f = load("fault_timings.json")
    if f:
        worst = {k: v["max_s"] for k, v in f["scenarios"].items()}
        rows.append(["fault -> safe speed: action node killed / camera stops (s, worst)",
                     f"{worst['action_node_killed']:.2f} / {worst['camera_stops']:.2f}",
                     f"<= {f['budget_s']}"])
    s = load("soak.json")
    if s:
        r = s["rss_mib"]
        first, last = minute_medians(r["samples"])
        rows.append(["memory, 10 min of hostile input (MiB, median of minute 2 -> of the last)",
                     f"{first:.0f} -> {last:.0f}", "flat"])
    return table(["measure", "now", "target"], rows)


def readme_with_table(text: str) -> str:
    if BEGIN not in text or END not in text:
        raise SystemExit(f"README.md has no {BEGIN} ... {END} block")
    a, rest = text.split(BEGIN, 1)
    _, b = rest.split(END, 1)
    return f"{a}{BEGIN}\n{results_table()}\n{END}{b}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 2)[2])
    g = p.add_mutually_exclusive_group()
    g.add_argument("--write", action="store_true", help="write docs/benchmarks.md and README")
    g.add_argument("--check", action="store_true", help="exit 1 when either is out of date")
    args = p.parse_args(argv)
    doc = benchmarks_md()
    if not (args.write or args.check):
        sys.stdout.write(doc)
        return 0
    readme = readme_with_table(README.read_text())
    if args.write:
        DOC.write_text(doc)
        README.write_text(readme)
        print(f"wrote {DOC.relative_to(ROOT)} and the results table in README.md")
    elif args.check:
        stale = [str(p.relative_to(ROOT)) for p, want in ((DOC, doc), (README, readme))
                 if not p.exists() or p.read_text() != want]
        if stale:
            print("out of date (run python -m bench.report --write): " + ", ".join(stale))
            return 1
        print("docs/benchmarks.md and README.md results are current")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
