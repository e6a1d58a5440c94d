"""Compiled CPU forward pass of a trained :class:`~har_ros.model.LSTMClassifier`, for the few
windows the live node classifies at a time.

PyTorch's LSTM has a fixed cost per call that, at batch 1, is larger than the arithmetic
(figures: docs/benchmarks.md, ``bench/bench_model.py``). These loops (numba, cached on disk)
run the same network from the same weights without that overhead:

* the training set's standardisation is folded into the first layer's weights and bias, and
  input channels that are 0 by construction (joints the model never saw: the classifier marks
  them missing) are dropped, which is exact;
* per layer, the input projection for all frames, then the recurrence with the hidden
  state's matrix-vector product unrolled by four rows (vectorised by LLVM with FMA);
* sigmoid and tanh use Eigen's clamped rational approximation of tanh for float32, within
  2e-6 of the exact function.

:class:`~har_ros.classifier.ActionClassifier` uses it for small batches and PyTorch for large
ones; ``test/test_lstm_kernel.py`` checks logits equal PyTorch's for every architecture
option and both shipped models.
"""

from __future__ import annotations

import numpy as np
import torch

from har_ros.errors import InputError
from har_ros.features import FeatureConfig, _features, kernel_flags
from har_ros.jit import njit
from har_ros.model import LSTMClassifier
from har_ros.skeleton import NUM_JOINTS

_JIT = {"nogil": True, "error_model": "numpy", "boundscheck": False,
        # FMA contraction and reassociation only: the inputs are finite by construction.
        "fastmath": {"contract", "reassoc", "nsz"}}


def _f32(t: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(t.detach().cpu().numpy(), dtype=np.float32)


class LSTMKernel:
    """Logits of ``model`` for (B, T, F) unstandardised features, without PyTorch (class
    logits: with view bins, the same marginal as :meth:`LSTMClassifier.forward`).

    ``zero_channels`` (F,) bool marks channels that are always 0 at inference (they are
    dropped after folding; a wrong mask changes the result, so only pass what is guaranteed).
    """

    def __init__(self, model: LSTMClassifier, zero_channels: np.ndarray | None = None) -> None:
        cfg = model.config
        self.config = cfg
        sd = {k: v.double() for k, v in model.state_dict().items()}
        inv_std = 1.0 / sd["feature_std"]
        shift = sd["feature_mean"] * inv_std  # standardised x = x * inv_std - shift
        keep = np.ones(cfg.input_size, bool) if zero_channels is None else ~zero_channels
        keep_t = torch.from_numpy(keep)

        def fold(w: torch.Tensor, b: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
            return _f32((w * inv_std)[:, keep_t].T), _f32(b - w @ shift)

        # Optional input layer (empty arrays without one), then per LSTM layer: input weights
        # (inputs, 4H) and recurrent weights (H, 4H), transposed, and b_ih + b_hh (4H,). The
        # standardisation folds into the first layer that sees the features.
        in_w_t, in_b = np.zeros((0, 0), np.float32), np.zeros(0, np.float32)
        if cfg.input_layer:
            in_w_t, in_b = fold(sd["input_layer.0.weight"], sd["input_layer.0.bias"])
        w_in_ts, w_hh_ts, biases = [], [], []
        for i in range(cfg.num_layers):
            w_ih = sd[f"lstm.weight_ih_l{i}"]
            bias = sd[f"lstm.bias_ih_l{i}"] + sd[f"lstm.bias_hh_l{i}"]
            w_in_t, b = (fold(w_ih, bias) if i == 0 and not cfg.input_layer
                         else (_f32(w_ih.T), _f32(bias)))
            w_in_ts.append(w_in_t)
            w_hh_ts.append(_f32(sd[f"lstm.weight_hh_l{i}"].T))
            biases.append(b)
        #: ``_forward``'s arguments after the features, built once (dispatch cost counts here)
        self._args = (np.flatnonzero(keep).astype(np.int64), in_w_t, in_b, tuple(w_in_ts),
                      tuple(w_hh_ts), tuple(biases), cfg.pool == "last",
                      _f32(sd["head.weight"].T), _f32(sd["head.bias"]))

    def logits(self, feats: np.ndarray) -> np.ndarray:
        """(B, T, F) float32 features (before standardisation) -> (B, C) float32 logits."""
        x = np.ascontiguousarray(feats, dtype=np.float32)
        if x.ndim != 3 or x.shape[1] < 1 or x.shape[2] != self.config.input_size:
            # the loops do not check bounds: a wrong shape must never reach them
            raise InputError(f"features must be (B, T >= 1, {self.config.input_size}), "
                             f"got {x.shape}")
        out = np.empty((x.shape[0], self.config.head_size), np.float32)
        _forward(x, *self._args, out)
        if self.config.view_bins == 1:
            return out
        z = out.reshape(x.shape[0], self.config.view_bins, self.config.num_classes)
        top = z.max(axis=1)
        return (top + np.log(np.exp(z - top[:, None]).sum(axis=1))).astype(np.float32)

    def proba_windows(self, windows: np.ndarray, features: FeatureConfig, joints: np.ndarray
                      ) -> np.ndarray:
        """(B, T, 18, 3) float32 pixel windows -> (B, C) float32 softmax probabilities, with
        :func:`har_ros.features.window_features` (``features``, ``joints``) computed in the
        same compiled call."""
        w = np.ascontiguousarray(windows, dtype=np.float32)
        if w.ndim != 4 or w.shape[1] < 1 or w.shape[2:] != (NUM_JOINTS, 3):
            raise InputError(f"windows must be (B, T >= 1, 18, 3), got {w.shape}")
        if features.num_features != self.config.input_size or joints.shape != (NUM_JOINTS,):
            raise InputError(f"{features.num_features} feature channels and joints "
                             f"{joints.shape} do not fit a model of {self.config.input_size} "
                             "inputs and 18 joints")
        out = np.empty((w.shape[0], self.config.head_size), np.float32)
        _classify(w, joints, *kernel_flags(features), features.num_features, *self._args, out)
        if self.config.view_bins == 1:
            return out
        # softmax over every (view bin, class) pair, summed over the bins: the class marginal
        return out.reshape(w.shape[0], self.config.view_bins, self.config.num_classes).sum(1)


@njit(**_JIT)
def _classify(w, joints, normalise, masks, velocities, root_motion, root_horizontal,
              scale_shoulders, smooth_passes, n_features,
              cols, in_w_t, in_b, w_in_ts, w_hh_ts, biases, pool_last, head_w_t, head_b,
              out) -> None:
    """Features, network and softmax for pixel windows ``w``: probabilities into ``out``."""
    feats = np.zeros((w.shape[0], w.shape[1], n_features), np.float32)
    _features(w, joints, normalise, masks, velocities, root_motion, root_horizontal,
              scale_shoulders, smooth_passes, feats)
    _forward(feats, cols, in_w_t, in_b, w_in_ts, w_hh_ts, biases, pool_last, head_w_t, head_b,
             out)
    for b in range(out.shape[0]):
        z = out[b].astype(np.float64)
        z = np.exp(z - z.max())
        out[b] = z / z.sum()


@njit(**_JIT)
def _axpy4(acc, a, w, k) -> None:
    """acc += a[0] w[k] + a[1] w[k+1] + a[2] w[k+2] + a[3] w[k+3] (rows of w)."""
    w0, w1, w2, w3 = w[k], w[k + 1], w[k + 2], w[k + 3]
    a0, a1, a2, a3 = a[0], a[1], a[2], a[3]
    for j in range(acc.shape[0]):
        acc[j] += (a0 * w0[j] + a1 * w1[j]) + (a2 * w2[j] + a3 * w3[j])


@njit(**_JIT)
def _matvec_add(acc, vec, w_t) -> None:
    """acc (N,) += vec (K,) @ w_t (K, N), four rows at a time."""
    k_len = vec.shape[0]
    k4 = k_len - k_len % 4
    for k in range(0, k4, 4):
        _axpy4(acc, vec[k:k + 4], w_t, k)
    for k in range(k4, k_len):
        v, w = vec[k], w_t[k]
        for j in range(acc.shape[0]):
            acc[j] += v * w[j]


@njit(**_JIT)
def _project(x, cols, w_t, bias, out) -> None:
    """out (T, N) = x[:, cols] @ w_t + bias, for x (T, F), cols (K,), w_t (K, N)."""
    vec = np.empty(cols.shape[0], np.float32)
    for t in range(x.shape[0]):
        for k in range(cols.shape[0]):
            vec[k] = x[t, cols[k]]
        out[t] = bias
        _matvec_add(out[t], vec, w_t)


@njit(**_JIT)
def _forward(x, cols, in_w_t, in_b, w_in_ts, w_hh_ts, biases, pool_last, head_w_t, head_b,
             out) -> None:
    """Logits ``out`` (B, C) for features ``x`` (B, T, F): [input layer + ReLU] -> LSTM layers
    -> last or mean output -> head. Weight tuples hold one array per LSTM layer."""
    n_win, t_len = x.shape[0], x.shape[1]
    h_size = w_hh_ts[0].shape[0]
    seq = np.empty((t_len, h_size), np.float32)
    gates = np.empty((t_len, 4 * h_size), np.float32)
    hidden = np.empty((t_len, in_w_t.shape[1]), np.float32)
    identity = np.arange(max(h_size, in_w_t.shape[1]))
    pooled = np.empty(h_size, np.float32)
    for b in range(n_win):
        if in_w_t.shape[1] > 0:
            _project(x[b], cols, in_w_t, in_b, hidden)
            for t in range(t_len):
                for j in range(hidden.shape[1]):
                    hidden[t, j] = max(hidden[t, j], np.float32(0.0))
            _project(hidden, identity[:hidden.shape[1]], w_in_ts[0], biases[0], gates)
        else:
            _project(x[b], cols, w_in_ts[0], biases[0], gates)
        _recur(gates, w_hh_ts[0], seq)
        for i in range(1, len(w_hh_ts)):
            _project(seq, identity[:h_size], w_in_ts[i], biases[i], gates)
            _recur(gates, w_hh_ts[i], seq)
        if pool_last:
            pooled[:] = seq[t_len - 1]
        else:
            pooled[:] = 0.0
            for t in range(t_len):
                for j in range(h_size):
                    pooled[j] += seq[t, j]
            for j in range(h_size):
                pooled[j] /= np.float32(t_len)
        out[b] = head_b
        _matvec_add(out[b], pooled, head_w_t)


@njit(**_JIT)
def _tanh(x):
    """tanh for float32: clamped 13/6 rational approximation (as in Eigen), error < 2e-6."""
    x = min(max(x, np.float32(-7.90531110763549805)), np.float32(7.90531110763549805))
    x2 = x * x
    p = x2 * np.float32(-2.76076847742355e-16) + np.float32(2.00018790482477e-13)
    p = x2 * p + np.float32(-8.60467152213735e-11)
    p = x2 * p + np.float32(5.12229709037114e-08)
    p = x2 * p + np.float32(1.48572235717979e-05)
    p = x2 * p + np.float32(6.37261928875436e-04)
    p = x2 * p + np.float32(4.89352455891786e-03)
    q = x2 * np.float32(1.19825839466702e-06) + np.float32(1.18534705686654e-04)
    q = x2 * q + np.float32(2.26843463243900e-03)
    q = x2 * q + np.float32(4.89352518554385e-03)
    return x * p / q


@njit(**_JIT)
def _recur(gates, w_hh_t, out) -> None:
    """LSTM recurrence from zero state. ``gates`` (T, 4H) holds each frame's input projection
    (PyTorch's gate order i, f, g, o) and is overwritten; ``out`` (T, H) gets h_t."""
    h_size = out.shape[1]
    c = np.zeros(h_size, np.float32)
    half = np.float32(0.5)
    for t in range(gates.shape[0]):
        if t > 0:  # h_0 = 0
            _matvec_add(gates[t], out[t - 1], w_hh_t)
        g_i, g_f = gates[t, :h_size], gates[t, h_size:2 * h_size]
        g_g, g_o = gates[t, 2 * h_size:3 * h_size], gates[t, 3 * h_size:]
        h = out[t]
        for j in range(h_size):  # one fused pass (vectorises): sigmoid(x) = (tanh(x/2) + 1) / 2
            i = _tanh(g_i[j] * half) * half + half
            f = _tanh(g_f[j] * half) * half + half
            o = _tanh(g_o[j] * half) * half + half
            c[j] = f * c[j] + i * _tanh(g_g[j])
            h[j] = o * _tanh(c[j])
