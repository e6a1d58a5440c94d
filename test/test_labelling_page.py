"""The labelling page (`har-ros label`) driven in a real headless Chromium as a user would:
open the printed URL, play, mark an interval, accept and correct the model's suggestions,
undo, check the labels file on disk through the validating reader, reload, and close the tab
right after an edit. Skips when Debian's chromium / chromium-driver are not installed.

Set HAR_ROS_DOCS_SCREENSHOT=1 to write docs/labelling.png from this test."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
from nodes_for_tests.bag_fixtures import write_left_right_bag, write_utd_actions_bag
from webdriver_client import Browser, find_browser

from har_ros.bags.labels import load_labels

from ros_harness import REPO_ROOT, subprocess_env

pytestmark = pytest.mark.slow

LANE = 'document.querySelector(`.lane[data-track="${arguments[0]}"]`)'


def _intervals(browser: Browser, track: str) -> list[tuple[float, float, str]]:
    return [tuple(x) for x in browser.script(
        f"return [...{LANE}.querySelectorAll('.iv')].map(d => "
        "[Number(d.dataset.start), Number(d.dataset.end), d.dataset.label]);", track)]


def _go_to(browser: Browser, time_s: float) -> None:
    """Step the cursor with the arrow keys to the frame at ``time_s`` (10 fps bag)."""
    now = browser.script("return window.harLabel.state().i;")
    target = int(round(time_s * 10))
    delta = target - now
    seconds, frames = divmod(abs(delta), 10)
    way = "ArrowRight" if delta > 0 else "ArrowLeft"
    browser.keys(*[f"Shift+{way}"] * seconds, *[way] * frames)
    assert browser.script("return window.harLabel.state().i;") == target


def _saved(browser: Browser) -> None:
    browser.wait("const s = window.harLabel.state(); return !s.dirty && "
                 "document.getElementById('status').textContent.startsWith('saved');",
                 what="the autosave")


@pytest.fixture
def label_server(tmp_path, ros_domain, action_model_path, shared_data):
    """`har-ros label` on a skeleton bag of about 12 s (a real person from UTD-MHAD waving,
    then squatting) with the shipped model's suggestions; yields (url, labels path)."""
    _, env = ros_domain
    assert write_utd_actions_bag(tmp_path / "bag", shared_data / "utd_mhad") > 10.0
    log = tmp_path / "label.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "har_ros.cli", "label", str(tmp_path / "bag"),
             "--model", str(action_model_path)],
            stdout=fh, stderr=subprocess.STDOUT, env=subprocess_env(env), cwd=REPO_ROOT)
    try:
        deadline = time.monotonic() + 120
        while not (m := re.search(r"open (http://127\.0\.0\.1:\d+/\?token=\S+)",
                                  log.read_text())):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield m.group(1), tmp_path / "bag.labels.yaml"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture
def browser(tmp_path):
    found = find_browser()
    if found is None:
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install -y chromium "
                    "chromium-driver; .ci/run installs them)")
    b = Browser(*found, log=tmp_path / "chromedriver.log")
    yield b
    b.close()


def test_label_a_bag_in_the_browser(label_server, browser):
    url, labels_path = label_server
    browser.get(url)
    browser.wait("return document.body.dataset.ready === '1';", what="the page to load")
    assert browser.script("return document.getElementById('frame').naturalWidth;") or \
        browser.wait("return document.getElementById('frame').naturalWidth;", what="a frame")
    # the help lists the keys
    browser.keys("?")
    assert "undo" in browser.script("return document.getElementById('help').innerText;")
    browser.keys("?")

    # play for a moment, pause: the cursor moved on
    browser.keys(" ")
    browser.wait("return window.harLabel.state().i >= 5;", what="playback to advance")
    browser.keys(" ")
    assert not browser.script("return window.harLabel.state().playing;")

    # mark 1.0 .. 2.5 s on the operator lane with class 2 of the label set
    classes = browser.script("return [...document.querySelectorAll('#classes li')]"
                             ".map(li => li.dataset.cls);")
    _go_to(browser, 1.0)
    browser.keys("2", "[")
    _go_to(browser, 2.4)
    browser.keys("]")
    assert _intervals(browser, "") == [(1.0, 2.5, classes[2])]

    # the model's suggestions on the person's track: accept one, correct another
    browser.keys("ArrowDown")
    assert browser.script("return window.harLabel.state().lane;") == "cam0/1"
    sugg = browser.script(f"return [...{LANE}.querySelectorAll('.sug')].map(d => "
                          "[Number(d.dataset.start), Number(d.dataset.end), d.dataset.label]);",
                          "cam0/1")
    assert len(sugg) >= 2, sugg
    first, second = sugg[0], sugg[1]
    _go_to(browser, first[0] + 0.2)
    browser.keys("a")
    _go_to(browser, second[0] + 0.2)
    browser.keys("3", "c")
    expected = [(first[0], first[1], first[2]), (second[0], second[1], classes[3])]
    assert _intervals(browser, "cam0/1") == expected
    # undo the correction, then do it again
    browser.keys("Control+z")
    assert _intervals(browser, "cam0/1") == expected[:1]
    browser.keys("c")
    assert _intervals(browser, "cam0/1") == expected

    # autosaved through the validating reader
    _saved(browser)
    labels = load_labels(labels_path)
    got = sorted((iv.start_s, iv.end_s, iv.label, iv.track) for iv in labels.intervals)
    assert got == sorted([(1.0, 2.5, classes[2], "")] +
                         [(*e, "cam0/1") for e in expected])
    if os.environ.get("HAR_ROS_DOCS_SCREENSHOT"):
        browser.screenshot(REPO_ROOT / "docs" / "labelling.png")

    # reload: the intervals come back from the file
    browser.refresh()
    browser.wait("return document.body.dataset.ready === '1';", what="the reloaded page")
    assert _intervals(browser, "") == [(1.0, 2.5, classes[2])]
    assert _intervals(browser, "cam0/1") == expected

    # an edit, then the tab is left at once (before the autosave delay): nothing is lost
    _go_to(browser, 0.0)
    browser.keys("1", "[", "ArrowRight", "ArrowRight", "]", "Delete")
    browser.keys("[", "ArrowRight", "]")
    browser.get("about:blank")
    deadline = time.monotonic() + 10
    while (n := len(load_labels(labels_path).intervals)) != 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert n == 4
    first_op = min((iv for iv in load_labels(labels_path).intervals if not iv.track),
                   key=lambda iv: iv.start_s)
    assert (first_op.start_s, first_op.end_s, first_op.label) == (0.2, 0.4, classes[1])


def _start_label(bag, log, env, *extra: str) -> tuple[subprocess.Popen, str]:
    with log.open("w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "har_ros.cli", "label", str(bag), *extra],
                                stdout=fh, stderr=subprocess.STDOUT, env=subprocess_env(env),
                                cwd=REPO_ROOT)
    deadline = time.monotonic() + 60
    while not (m := re.search(r"open (http://127\.0\.0\.1:\d+/\?token=\S+)", log.read_text())):
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    return proc, m.group(1)


@pytest.mark.reliability("labelling page: the server is killed (SIGKILL) while the user "
                         "keeps marking",
                         "the page says NOT SAVED and keeps the edits in the browser; reopened "
                         "on the same port they are restored and saved")
def test_edits_survive_a_server_crash(tmp_path, ros_domain, browser):
    import socket

    _, env = ros_domain
    write_left_right_bag(tmp_path / "bag")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    args = ("--no-suggestions", "--classes", "left", "right", "--port", port)
    proc, url = _start_label(tmp_path / "bag", tmp_path / "a.log", env, *args)
    labels_path = tmp_path / "bag.labels.yaml"
    try:
        browser.get(url)
        browser.wait("return document.body.dataset.ready === '1';", what="the page")
        browser.keys("1", "[", "ArrowRight", "]")
        _saved(browser)
        proc.kill()
        proc.wait()
        browser.keys("ArrowRight", "ArrowRight", "2", "[", "ArrowRight", "]")
        browser.wait("return document.getElementById('status').textContent"
                     ".startsWith('NOT SAVED');", what="the page to say it could not save")
        assert len(load_labels(labels_path).intervals) == 1
        browser.get("about:blank")
        proc, url = _start_label(tmp_path / "bag", tmp_path / "b.log", env, *args)
        browser.get(url)
        browser.wait("return document.body.dataset.ready === '1';", what="the reopened page")
        _saved(browser)
        got = [(iv.start_s, iv.end_s, iv.label) for iv in load_labels(labels_path).intervals]
        assert got == [(0.0, 0.2, "left"), (0.3, 0.5, "right")]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
