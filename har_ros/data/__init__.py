"""Skeleton datasets: one loader module per on-disk format, one in-memory form for all.

Every loader returns a :class:`~har_ros.data.common.SkeletonDataset`: a list of
:class:`~har_ros.data.common.SkeletonSequence` (``skeletons`` (T, 18, 3) float32 in COCO-18 order,
x/y in pixels, confidence 0 and x = y = 0 for a missing joint; ``stamps_s`` (T,) seconds) plus the
dataset-level class list and nominal frame rate.

Formats:

* :mod:`har_ros.data.mhad_txt` -- the predecessor project's MHAD-derived ``X_*.txt`` /
  ``Y_*.txt`` windows.
* :mod:`har_ros.data.recordings` -- own recordings: per-recording keypoint and label CSVs, a
  label map and a manifest (subject, camera, fps).
* :mod:`har_ros.data.penn` -- Penn Action ``labels/*.mat`` (13 joints -> COCO-18).
* :mod:`har_ros.data.utd` -- UTD-MHAD Kinect ``*_skeleton.mat`` (20 joints 3D -> COCO-18 2D).
* :mod:`har_ros.data.rosbag` -- skeleton recordings of our pose node in rosbag2 bags, labelled by
  interval files (``<bag>.labels.yaml``).
"""

from har_ros.data.common import SkeletonDataset, SkeletonSequence

__all__ = ["SkeletonDataset", "SkeletonSequence", "load_dataset"]


def load_dataset(name: str, root: str, **options) -> SkeletonDataset:
    """Load a dataset by format name: ``utd``, ``penn``, ``mhad_txt``, ``recordings`` or
    ``rosbag``.

    ``root`` is the folder (or manifest file, for ``recordings``) the format's loader expects;
    ``options`` are passed to that loader unchanged.
    """
    from har_ros.errors import ConfigError

    if name == "utd":
        from har_ros.data.utd import load_utd_mhad

        return load_utd_mhad(root, **options)
    if name == "penn":
        from har_ros.data.penn import load_penn_action

        return load_penn_action(root, **options)
    if name == "mhad_txt":
        from har_ros.data.mhad_txt import load_mhad_txt

        return load_mhad_txt(root, **options)
    if name == "recordings":
        from har_ros.data.recordings import load_recordings

        return load_recordings(root, **options)
    if name == "rosbag":
        from har_ros.data.rosbag import load_rosbag_folder

        return load_rosbag_folder(root, **options)
    raise ConfigError(f"unknown dataset format {name!r}; use utd, penn, mhad_txt, recordings "
                      "or rosbag")
