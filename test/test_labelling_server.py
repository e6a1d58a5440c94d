"""The labelling page's server over real HTTP on 127.0.0.1 (no browser): the token and Host
checks, no file served by path, saves validated by the labels reader and atomic (a bad
payload answers 400 and keeps the last good file), notes and a pinned origin kept, and the
input kinds (skeleton bag; a few frames of a real video through the pose backend, cached)."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys

import pytest
from nodes_for_tests.bag_fixtures import T0_NS, write_left_right_bag

from har_ros.bags.labels import load_labels
from har_ros.labelling.server import LabelServer
from har_ros.labelling.source import load_source
from har_ros.labelling.store import LabelStore

from conftest import require_file
from ros_harness import REPO_ROOT

CLASSES = ["left", "right"]


@pytest.fixture
def server(tmp_path):
    write_left_right_bag(tmp_path / "bag")
    source = load_source(tmp_path / "bag", tmp_path / "cache")
    store = LabelStore(tmp_path / "bag.labels.yaml", CLASSES, source.origin_ns,
                       source.duration_s)
    srv = LabelServer(source, store, {"cam0/1": [{"start": 1.0, "end": 2.0, "label": "left"}]})
    srv.start()
    yield srv
    srv.close()


def _request(srv: LabelServer, method: str, path: str, body: object = None,
             host: str | None = None, token: bool = True) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    sep = "&" if "?" in path else "?"
    url = f"{path}{sep}token={srv.token}" if token else path
    headers = {"Host": host} if host else {}
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, url, body=data, headers=headers)
    r = conn.getresponse()
    out = r.status, r.read()
    conn.close()
    return out


def test_binds_loopback_and_needs_the_token(server):
    assert server.httpd.server_address[0] == "127.0.0.1"
    assert server.url.startswith(f"http://127.0.0.1:{server.port}/?token=")
    for path in ("/", "/api/session", "/api/frame?i=0"):
        assert _request(server, "GET", path, token=False)[0] == 403
        assert _request(server, "GET", path + ("&" if "?" in path else "?") + "token=x",
                        token=False)[0] == 403
    assert _request(server, "POST", "/api/labels", {"intervals": []}, token=False)[0] == 403
    # a page on another site that resolves its own name to 127.0.0.1 (DNS rebinding)
    assert _request(server, "GET", "/api/session", host="evil.example:80")[0] == 403
    status, body = _request(server, "GET", "/")
    assert status == 200 and b"page.js" in body


@pytest.mark.parametrize("path", ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
                                  "/server.py", "/page.js/../server.py",
                                  "/har_ros/labelling/store.py", "/api/frame?i=-1",
                                  "/api/frame?i=120", "/api/frame?i=../1"])
def test_nothing_is_served_by_path(server, path):
    status, body = _request(server, "GET", path)
    assert status == 404, body
    assert b"import" not in body and b"root:" not in body


def test_frames_are_jpegs_with_the_skeleton_drawn(server):
    status, body = _request(server, "GET", "/api/frame?i=0")
    assert status == 200 and body[:2] == b"\xff\xd8"
    import cv2
    import numpy as np

    img = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
    assert img.shape == (300, 400, 3)
    assert (img[:, 60:140] > 100).any(), "the skeleton at x=100 px is drawn"
    session = json.loads(_request(server, "GET", "/api/session")[1])
    assert len(session["times"]) == 120 and session["tracks"] == ["cam0/1"]
    assert session["suggestions"]["cam0/1"][0]["label"] == "left"


@pytest.mark.reliability("labelling page: a save with start >= end, an unknown label, a time "
                         "outside the bag, or not JSON",
                         "400 naming the reason; the last good labels file is kept as it was")
def test_bad_payloads_keep_the_last_good_file(server, tmp_path):
    path = tmp_path / "bag.labels.yaml"
    good = {"intervals": [{"start": 1.0, "end": 2.5, "label": "left", "track": "cam0/1"}]}
    assert _request(server, "POST", "/api/labels", good)[0] == 200
    before = path.read_bytes()
    bad = [
        ({"intervals": [{"start": 3.0, "end": 2.0, "label": "left"}]}, b"before end"),
        ({"intervals": [{"start": 1.0, "end": 2.0, "label": "jump"}]}, b"not in the label set"),
        ({"intervals": [{"start": 1.0, "end": 30.0, "label": "left"}]}, b"outside the bag"),
        ({"intervals": [{"start": 1.0, "end": 3.0, "label": "left"},
                        {"start": 2.0, "end": 4.0, "label": "right"}]}, b"overlaps"),
        ({"intervals": [{"start": "1", "end": 2.0, "label": "left"}]}, b"numbers"),
        ({"nothing": 1}, b"intervals"),
    ]
    for payload, reason in bad:
        status, body = _request(server, "POST", "/api/labels", payload)
        assert status == 400 and reason in body, (payload, body)
        assert path.read_bytes() == before
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("POST", f"/api/labels?token={server.token}", body=b"{not json")
    r = conn.getresponse()
    assert r.status == 400 and b"not JSON" in r.read()
    conn.close()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert load_labels(path).intervals[0].label == "left"


def test_a_save_round_trips_notes_and_a_pinned_origin(tmp_path):
    write_left_right_bag(tmp_path / "bag")
    source = load_source(tmp_path / "bag", tmp_path / "cache")
    path = tmp_path / "hand.yaml"
    path.write_text(f"version: 1\norigin_ns: {T0_NS - 2_000_000_000}\nclasses: [left, right]\n"
                    "intervals:\n  - {start: 3.0, end: 4.0, label: left, note: \"by hand\"}\n",
                    encoding="utf-8")
    store = LabelStore(path, CLASSES, source.origin_ns, source.duration_s)
    # page times are since the first frame: 2 s before the file's times
    assert store.intervals == [{"start": 1.0, "end": 2.0, "label": "left", "track": "",
                                "note": "by hand"}]
    store.save({"intervals": [*store.intervals,
                              {"start": 5.0, "end": 6.0, "label": "right", "track": "cam0/1"}]})
    again = load_labels(path)
    assert again.origin_ns == T0_NS - 2_000_000_000
    assert [(iv.start_s, iv.end_s, iv.label, iv.track) for iv in again.intervals] == [
        (3.0, 4.0, "left", ""), (7.0, 8.0, "right", "cam0/1")]
    assert 'note: "by hand"' in path.read_text(encoding="utf-8")
    # removing every interval keeps the last file as a backup
    store.save({"intervals": []})
    assert not path.exists() and load_labels(path.with_name("hand.yaml.bak")).intervals


def test_bad_options_exit_2_with_a_message(tmp_path):
    write_left_right_bag(tmp_path / "bag")
    for args, words in ((["--port", "70000"], "--port"),
                        (["--no-suggestions"], "--classes"),
                        (["--limit", "-1"], "--limit")):
        p = subprocess.run([sys.executable, "-m", "har_ros.cli", "label", str(tmp_path / "bag"),
                            *args], capture_output=True, text=True, cwd=REPO_ROOT, timeout=60)
        assert p.returncode == 2 and words in p.stderr and "Traceback" not in p.stderr, p.stderr
    p = subprocess.run([sys.executable, "-m", "har_ros.cli", "label", str(tmp_path / "nope")],
                       capture_output=True, text=True, cwd=REPO_ROOT, timeout=60)
    assert p.returncode == 2 and "does not exist" in p.stderr


@pytest.mark.slow
def test_a_video_is_extracted_once_and_cached(shared_data, tmp_path):
    video = require_file(shared_data / "video" / "exercise.avi")
    first = load_source(video, tmp_path / "cache", limit=3, progress=False)
    assert first.kind == "video" and len(first.frames) == 3
    assert sum(len(f.track_ids) for f in first.frames) > 0, "people found in exercise.avi"
    assert first.image(0).shape[:2] == (first.frames[0].image_height,
                                        first.frames[0].image_width)
    stamp = (tmp_path / "cache" / "source.json").stat().st_mtime_ns
    again = load_source(video, tmp_path / "cache", limit=3, progress=False)
    assert (tmp_path / "cache" / "source.json").stat().st_mtime_ns == stamp, "not re-extracted"
    assert [f.track_ids for f in again.frames] == [f.track_ids for f in first.frames]
    assert again.render(0)[:2] == b"\xff\xd8"


@pytest.mark.slow
def test_an_image_bag_is_extracted_once_and_drawn_on_its_images(shared_data, tmp_path):
    from har_ros.bags.writer import BagWriter, image_message
    from har_ros.video_source import VideoSource

    video = require_file(shared_data / "video" / "exercise.avi")
    images = list(VideoSource(video).frames(2))
    with BagWriter(tmp_path / "bag", "mcap") as bag:
        for i, img in enumerate(images):
            stamp = T0_NS + i * 100_000_000
            bag.write_message("/cam0/image_raw", stamp, image_message(img, stamp, "cam0"))
    first = load_source(tmp_path / "bag", tmp_path / "cache", progress=False)
    assert first.kind == "image_bag" and [f.stamp_ns for f in first.frames] == [
        T0_NS, T0_NS + 100_000_000]
    assert all(f.track_ids for f in first.frames), "people found in exercise.avi"
    assert (first.image(1) == images[1]).all(), "the bag's own picture under the skeletons"
    stamp = (tmp_path / "cache" / "source.json").stat().st_mtime_ns
    again = load_source(tmp_path / "bag", tmp_path / "cache", progress=False)
    assert (tmp_path / "cache" / "source.json").stat().st_mtime_ns == stamp, "not re-extracted"
    assert [f.track_ids for f in again.frames] == [f.track_ids for f in first.frames]
    first.close()
    again.close()
