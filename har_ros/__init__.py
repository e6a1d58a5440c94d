"""har_ros: human action recognition for human-robot collaborative cells (ROS 2).

The package is split into a ROS-free core (skeleton layout, pose backends, tracking,
windowing, features, model, datasets) and thin ROS 2 adapters in ``har_ros.ros``;
the ``har-ros`` command line is ``har_ros.cli`` over ``har_ros.tools``.
The generated message classes live in ``har_ros.msg`` (built by rosidl); when this source
folder shadows the installed package, ``extend_path`` lets ``har_ros.msg`` still resolve.
"""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
__version__ = "0.1.0"
