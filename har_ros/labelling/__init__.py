"""The labelling page (``har-ros label``): a local web page to mark action intervals on a bag
or video, with the model's decisions as suggestions, saved to the labels format
(docs/labels_format.md) through its validating reader. No rclpy here.

- :mod:`har_ros.labelling.source`: the input as frames with skeletons (and images when any);
- :mod:`har_ros.labelling.suggest`: the model's decisions as suggestion intervals;
- :mod:`har_ros.labelling.store`: the labels file: load, validate, atomic save;
- :mod:`har_ros.labelling.server`: the HTTP server (127.0.0.1, token) and the static page.
"""
