"""ROS 2 adapters: message conversions, parameters, nodes. Everything here may import rclpy;
nothing in the core (``har_ros.*`` outside this subpackage) does."""
