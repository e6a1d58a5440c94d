"""The decision status is defined once (har_ros.status); the message constants mirror it, and
every consumer maps status + action to the same label."""

import pytest

from har_ros.status import STATUS_NAMES, UNKNOWN, Status, label_of


def test_msg_status_constants_equal_the_core_enum():
    from har_ros.msg import ActionStamped

    for status in Status:
        assert getattr(ActionStamped, status.name) == status.value, status.name
    declared = {k for k in dir(ActionStamped)
                if k.isupper() and k not in ("SLOT_TYPES", "UNKNOWN")}
    assert declared == {s.name for s in Status}, "a status constant without a Status member"
    assert ActionStamped.UNKNOWN == UNKNOWN
    assert STATUS_NAMES == {s.value: s.name for s in Status}


@pytest.mark.parametrize(("status", "action", "label"), [
    (Status.OK, "walk", "walk"),
    (Status.LOW_CONFIDENCE, UNKNOWN, "unknown"),
    (Status.STALE, UNKNOWN, "stale"),
    (Status.NO_PERSON, UNKNOWN, "no_person"),
    (Status.WARMING_UP, UNKNOWN, "warming_up"),
    (7, UNKNOWN, "?"),
])
def test_one_label_for_status_and_action(status, action, label):
    assert label_of(status, action) == label
    assert label_of(int(status), action) == label, "plain message ints label the same"


def test_labels_outside_the_classes_score_as_no_decision():
    """bag evaluation scores STALE / NO_PERSON / WARMING_UP labels as 'no decision'."""
    from har_ros import seg_metrics as sm

    labels = [label_of(s, UNKNOWN) for s in Status if s != Status.OK]
    rep = sm.frame_report(["walk"] * len(labels), labels, ["walk", "jog"])
    assert rep["unknown_rate"] == pytest.approx(1 / 4)
    assert rep["no_decision_rate"] == pytest.approx(3 / 4)
