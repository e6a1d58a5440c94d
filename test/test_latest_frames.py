"""LatestFrameSlots: the newest unprocessed frame per camera, the rest counted as dropped; a
waiting worker is woken by a frame or by close(). No sleeps: threads meet on the slots."""

from __future__ import annotations

import threading

from har_ros.latest_frames import LatestFrameSlots


def test_only_the_newest_frame_per_camera_is_kept_and_the_rest_counted():
    slots = LatestFrameSlots()
    assert slots.put("cam0", "a") is False
    assert slots.put("cam0", "b") is True, "a replaced unprocessed frame is a drop"
    assert slots.put("cam1", "c") is False, "cameras never replace each other's frames"
    assert slots.take_all(timeout_s=0) == {"cam0": "b", "cam1": "c"}
    assert (slots.dropped("cam0"), slots.dropped("cam1"), slots.dropped("cam2")) == (1, 0, 0)
    assert slots.take_all(timeout_s=0) == {}, "taking clears the slots"
    assert slots.put("cam0", "d") is False, "a frame after a take replaces nothing"
    assert slots.dropped("cam0") == 1


def _worker(slots: LatestFrameSlots, out: list) -> threading.Thread:
    thread = threading.Thread(target=lambda: out.append(slots.take_all(timeout_s=None)),
                              daemon=True)
    thread.start()
    return thread


def test_a_waiting_worker_gets_the_next_frame():
    slots, out = LatestFrameSlots(), []
    thread = _worker(slots, out)
    slots.put("cam0", "frame")
    thread.join(timeout=30)
    assert out == [{"cam0": "frame"}]


def test_close_wakes_a_waiting_worker_with_nothing():
    slots, out = LatestFrameSlots(), []
    thread = _worker(slots, out)
    slots.close()
    thread.join(timeout=30)
    assert not thread.is_alive() and out == [{}]
    assert slots.take_all(timeout_s=None) == {}, "after close, take_all never blocks"
