"""rosbag2 bags without ROS: a typestore with har_ros's messages, a reader and a writer that
turn rosbags' failures into :class:`har_ros.errors.DataError`, and the labels format.

Everything here uses the pure-Python ``rosbags`` library and imports no rclpy, so offline
tools (evaluation, extraction) run anywhere; the ROS recorder and player live in
``har_ros.ros``.
"""
