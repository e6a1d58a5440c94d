"""The joint layout is defined once (har_ros.skeleton); the message constants mirror it."""

from har_ros import skeleton


def test_msg_joint_constants_equal_core_table():
    from har_ros.msg import Skeleton2D

    for index, name in enumerate(skeleton.JOINT_NAMES):
        assert getattr(Skeleton2D, name.upper()) == index, name
    assert Skeleton2D.NUM_JOINTS == skeleton.NUM_JOINTS == 18
    declared = {k for k in dir(Skeleton2D) if k.isupper() and k != "SLOT_TYPES"}
    assert declared == {n.upper() for n in skeleton.JOINT_NAMES} | {"NUM_JOINTS"}
    assert len(Skeleton2D().keypoints) == 18


def test_openpose_coco18_order():
    names = skeleton.JOINT_NAMES
    assert names[:2] == ("nose", "neck")
    assert names.index("r_wrist") == 4 and names.index("l_wrist") == 7
    assert names.index("r_ankle") == 10 and names.index("l_ear") == 17


def test_flip_permutation_swaps_left_and_right_only():
    perm = skeleton.FLIP_PERMUTATION
    assert sorted(perm) == list(range(18))
    for i, j in enumerate(perm):
        a, b = skeleton.JOINT_NAMES[i], skeleton.JOINT_NAMES[j]
        if a.startswith(("r_", "l_")):
            assert a[2:] == b[2:] and a[0] != b[0]
        else:
            assert i == j
    assert all(perm[perm[i]] == i for i in range(18))


def test_missing_mask_treats_zero_and_nan_confidence_as_missing():
    import numpy as np

    s = skeleton.empty_skeleton()
    s[0] = (10, 20, 0.9)
    s[1] = (np.nan, 5, 0.8)
    s[2] = (3, 4, np.nan)
    mask = skeleton.missing_mask(s)
    assert not mask[0] and mask[1] and mask[2] and mask[3:].all()
