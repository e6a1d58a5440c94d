"""Camera-azimuth bins: binning, the mirror rule checked against real renders, the model's
marginal head (PyTorch and the compiled kernel), its loss, checkpoints and a real training."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from har_ros.augment import mirrored
from har_ros.errors import CheckpointError, ConfigError
from har_ros.lstm_kernel import LSTMKernel
from har_ros.model import LSTMClassifier, ModelConfig
from har_ros.skeleton import FLIP_PERMUTATION, NUM_JOINTS
from har_ros.training.views import view_loss
from har_ros.view_bins import UNKNOWN_BIN, azimuth_bins, mirrored_bins
from har_ros.viewpoint import VirtualCamera, project


def test_bins_are_centred_on_multiples_of_their_width():
    az = np.array([0, 44, 46, 90, 134, 136, 180, -180, -90, -46, 359, np.nan])
    np.testing.assert_array_equal(azimuth_bins(az, 4), [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 0, -1])
    np.testing.assert_array_equal(azimuth_bins(np.array([10.0, -10.0]), 1), [0, 0])
    np.testing.assert_array_equal(azimuth_bins(np.array([22.0, 23.0, -23.0]), 8), [0, 1, 7])


def test_the_split_layout_puts_edges_at_the_front_and_the_back():
    az = np.array([1, 90, 179, -1, -90, -179, 44, 91, 134, 181, -46, np.nan])
    np.testing.assert_array_equal(azimuth_bins(az[:6], 2, "split"), [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(azimuth_bins(az[6:], 4, "split"), [0, 1, 1, 2, 3, -1])


@pytest.mark.parametrize("layout", ["centred", "split"])
@pytest.mark.parametrize("bins", [2, 4, 8])
def test_mirroring_a_window_mirrors_its_bin(bins, layout):
    """Binning the mirrored azimuth -a gives the mirrored bin of a (bins are symmetric about
    azimuth 0), and unknown bins stay unknown."""
    az = np.random.default_rng(0).uniform(-180, 180, 500)
    flags = np.ones(az.size, bool)
    np.testing.assert_array_equal(
        mirrored_bins(azimuth_bins(az, bins, layout), flags, bins, layout),
        azimuth_bins(-az, bins, layout))
    views = np.array([1, UNKNOWN_BIN, 1])
    other = (-1) % bins if layout == "centred" else bins - 2
    np.testing.assert_array_equal(
        mirrored_bins(views, np.array([True, True, False]), bins, layout),
        [other, UNKNOWN_BIN, 1])


def _body(t: int = 12) -> np.ndarray:
    """A person with arms reaching forward and to its right (asymmetric), Kinect frame."""
    rng = np.random.default_rng(5)
    p = rng.uniform(-0.4, 0.4, (t, NUM_JOINTS, 3))
    p[..., 1] += 0.2
    p[..., 2] += 3.0
    return p


@pytest.mark.parametrize("az, el", [(90, 0), (35, 20), (-120, 45), (170, 70)])
def test_a_mirrored_render_is_the_mirror_body_seen_from_the_mirrored_azimuth(az, el):
    """The physics behind ``mirrored_bins``: flipping a rendered window left-right (joints
    swapped) gives what a camera at -azimuth sees of the mirror-image body, up to a shift."""
    p = _body()
    centre = np.nanmean(p.reshape(-1, 3), axis=0)
    mirror3d = p[:, list(FLIP_PERMUTATION)].copy()
    mirror3d[..., 0] = 2 * centre[0] - mirror3d[..., 0]
    seen = project(p, VirtualCamera(az, el, 4.0, 500.0), centre)
    other = project(mirror3d, VirtualCamera(-az, el, 4.0, 500.0), centre)
    flipped = mirrored(seen[None])[0]
    assert (flipped[..., 2] == other[..., 2]).all() and other[..., 2].all()
    shift = flipped[..., 0].mean() - other[..., 0].mean()
    np.testing.assert_allclose(flipped[..., 0] - shift, other[..., 0], atol=1e-3)
    np.testing.assert_allclose(flipped[..., 1], other[..., 1], atol=1e-3)
    # and a camera at +az does not see that (the test can fail)
    wrong = project(mirror3d, VirtualCamera(az, el, 4.0, 500.0), centre)
    assert np.abs(flipped[..., :2] - wrong[..., :2]).max() > 5


def _model(view_bins: int, seed: int = 0) -> LSTMClassifier:
    torch.manual_seed(seed)
    model = LSTMClassifier(ModelConfig(input_size=11, num_classes=5, hidden_size=12,
                                       view_bins=view_bins)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-0.5, 0.5)
    return model


def test_class_logits_are_the_marginal_over_view_bins():
    model = _model(4)
    x = torch.randn(6, 9, 11)
    with torch.no_grad():
        joint = model.forward_joint(x)
        logits = model(x)
    assert joint.shape == (6, 4, 5) and logits.shape == (6, 5)
    marginal = torch.softmax(joint.reshape(6, 20), -1).reshape(6, 4, 5).sum(1)
    torch.testing.assert_close(torch.softmax(logits, -1), marginal)
    assert model.head.out_features == 20
    plain = _model(1)
    with torch.no_grad():
        torch.testing.assert_close(plain(x), plain.forward_joint(x)[:, 0])


def test_the_compiled_kernel_serves_the_same_marginal():
    model = _model(4, seed=2)
    feats = np.random.default_rng(1).normal(0, 1, (5, 8, 11)).astype(np.float32)
    with torch.inference_mode():
        ref = model(torch.from_numpy(feats)).numpy()
    np.testing.assert_allclose(LSTMKernel(model).logits(feats), ref, atol=2e-5, rtol=1e-5)


def test_view_bins_are_validated():
    with pytest.raises(ConfigError, match="view_bins"):
        ModelConfig(input_size=3, num_classes=2, view_bins=0)
    with pytest.raises(ConfigError, match="view_bins"):
        ModelConfig(input_size=3, num_classes=2, view_bins=100)


def test_loss_is_cross_entropy_over_pairs_or_over_the_class_marginal():
    g = torch.Generator().manual_seed(0)
    joint = torch.randn(4, 3, 5, generator=g, requires_grad=True)
    y = torch.tensor([0, 4, 2, 1])
    views = np.array([0, 2, UNKNOWN_BIN, 1])
    loss = view_loss(joint, y, views)
    flat = joint.reshape(4, 15)
    known = F.cross_entropy(flat[[0, 1, 3]], torch.tensor([0 * 5 + 0, 2 * 5 + 4, 1 * 5 + 1]),
                            reduction="sum")
    unknown = -torch.log(torch.softmax(flat[2], -1).reshape(3, 5).sum(0)[2])
    torch.testing.assert_close(loss, (known + unknown) / 4)
    loss.backward()
    assert joint.grad is not None and torch.isfinite(joint.grad).all()
    # the pair target matters: the same class from another bin is a different loss
    other = view_loss(joint.detach(), y, np.array([1, 2, UNKNOWN_BIN, 1]))
    assert float(other) != pytest.approx(float(loss.detach()))
    # a weight below 1 mixes in the class loss of every window
    marginal = F.cross_entropy(torch.logsumexp(joint, 1), y)
    torch.testing.assert_close(view_loss(joint, y, views, weight=0.25),
                               0.25 * loss + 0.75 * marginal)
    torch.testing.assert_close(view_loss(joint, y, views, weight=0.0), marginal)
    # label smoothing spreads over every pair
    smooth = view_loss(joint[:1], y[:1], views[:1], label_smoothing=0.1)
    torch.testing.assert_close(smooth, F.cross_entropy(flat[:1], torch.tensor([0]),
                                                       label_smoothing=0.1))


def test_checkpoints_keep_view_bins_and_refuse_bad_ones(tmp_path):
    from har_ros.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
    from har_ros.features import FeatureConfig

    fcfg = FeatureConfig()
    model = LSTMClassifier(ModelConfig(input_size=fcfg.num_features, num_classes=3,
                                       hidden_size=8, view_bins=4))
    save_checkpoint(Checkpoint(model, ["a", "b", "c"], 10, 2, 10.0, fcfg), tmp_path / "m")
    back = load_checkpoint(tmp_path / "m")
    assert back.model.config.view_bins == 4 and back.model.head.out_features == 12
    meta_path = tmp_path / "m" / "model.json"
    meta = json.loads(meta_path.read_text())
    for bad in (True, "4", 0, 37):
        meta["model_config"]["view_bins"] = bad
        meta_path.write_text(json.dumps(meta))
        with pytest.raises(CheckpointError, match="view_bins"):
            load_checkpoint(tmp_path / "m")
    meta["model_config"]["view_bins"] = 2  # weights made for 4 bins
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="head"):
        load_checkpoint(tmp_path / "m")


def test_random_views_report_each_camera_azimuth():
    from har_ros.data.common import SkeletonSequence, uniform_stamps
    from har_ros.viewpoint import (
        CameraRanges,
        render_random_views,
        render_random_views_with_azimuths,
    )

    st = uniform_stamps(12, 15)
    flat = np.zeros((12, NUM_JOINTS, 3), np.float32)
    seqs = [SkeletonSequence(flat, st, 0, "s1", "kinect", "a", points3d=_body()),
            SkeletonSequence(flat, st, 0, "s1", "video", "b"),
            SkeletonSequence(flat, st, 0, "s1", "kinect", "c", points3d=_body())]
    ranges = CameraRanges()
    out, az = render_random_views_with_azimuths(seqs, ranges, ["x"], np.random.default_rng(4))
    assert np.isnan(az[1]) and out[1] is seqs[1]
    for seq, a in ((out[0], az[0]), (out[2], az[2])):
        assert seq.camera.startswith(f"virtual_az{a:g}_")
    # the same random stream as before: the plain function renders the same clips
    plain = render_random_views(seqs, ranges, ["x"], np.random.default_rng(4))
    for a, b in zip(out, plain, strict=True):
        np.testing.assert_array_equal(a.skeletons, b.skeletons)


@pytest.fixture(scope="module")
def view_model(shared_data, tmp_path_factory):
    """A tiny real UTD-MHAD training (subjects 1 and 3) with random cameras and 4 view bins."""
    from tiny_training import tiny_utd_config

    from har_ros.training import train_and_evaluate

    out = tmp_path_factory.mktemp("views") / "run"
    cfg = tiny_utd_config(shared_data, model={"hidden_size": 32, "view_bins": 4},
                          virtual_cameras={"elevation_deg": [0, 45], "roll_deg": 0},
                          augment={"mirror": 0.5}, epochs=40)
    train_and_evaluate(cfg, out, progress=False, eval_fps=(), plots=False)
    return out


def test_training_learns_from_which_side_an_unseen_person_is_seen(shared_data, view_model):
    """The bin scores (summed over classes) of the held-out subject name the side the camera
    looks from far above chance (1/4): the pair head learnt the view, not only the class."""
    from tiny_training import TINY_ACTIONS

    from har_ros.classifier import ActionClassifier
    from har_ros.data.utd import load_utd_mhad
    from har_ros.features import window_features
    from har_ros.resample import resample_sequence, sliding_windows
    from har_ros.viewpoint import render_sequence

    clf = ActionClassifier.load(view_model, mirror_average="off")
    assert clf.checkpoint.model.config.view_bins == 4
    assert clf.checkpoint.training_config["model"]["view_bins"] == 4
    test = load_utd_mhad(shared_data / "utd_mhad", subjects=[2],
                         actions=TINY_ACTIONS).sequences
    hits, total = 0, 0
    for az, true_bin in ((0, 0), (90, 1), (180, 2), (-90, 3)):
        for seq in test:
            r = resample_sequence(render_sequence(seq, VirtualCamera(az, 10)), clf.rate_hz)
            if r.num_frames < clf.window_frames:
                continue
            wins, _ = sliding_windows(r.skeletons, clf.window_frames, 5)
            feats = torch.from_numpy(window_features(wins, clf.feature_config, clf._joints))
            with torch.no_grad():
                joint = torch.softmax(clf.checkpoint.model.forward_joint(feats).flatten(1), -1)
            bins = joint.reshape(len(wins), 4, -1).sum(-1).numpy()
            hits += int((bins.argmax(1) == true_bin).sum())
            total += len(wins)
    assert total >= 40 and hits / total >= 0.6, (hits, total)


def test_init_from_copies_every_bin_of_a_kept_class(view_model):
    """A new head for a cell's classes starts from the init model's rows of the classes it
    shares, one row per view bin."""
    from har_ros.checkpoint import load_checkpoint
    from har_ros.training.config import TrainConfig
    from har_ros.training.init_from import adopt, init_network

    ckpt = load_checkpoint(view_model)
    src = ckpt.model
    cfg = TrainConfig.from_dict({"dataset": "utd", "data_root": "x", "init_from": "x"})
    init = adopt(cfg, ckpt)
    keep = ckpt.classes[2]
    net = init_network(init, ["new_class", keep])
    assert net.config.view_bins == 4 and net.head.out_features == 8
    n = len(ckpt.classes)
    for k in range(4):
        torch.testing.assert_close(net.head.weight[2 * k + 1], src.head.weight[n * k + 2])
        torch.testing.assert_close(net.head.bias[2 * k + 1], src.head.bias[n * k + 2])
    assert not torch.equal(net.head.weight[0], src.head.weight[0])


def test_view_settings_are_validated():
    from har_ros.training.config import TrainConfig

    with pytest.raises(ConfigError, match="view_loss_weight must be in"):
        TrainConfig.from_dict({"view_loss_weight": 1.5})
    with pytest.raises(ConfigError, match="view_bin_layout must be one of centred, split"):
        TrainConfig.from_dict({"view_bin_layout": "sides"})
