"""pip-installable har_ros toolkit, for machines without ROS 2.

`pip install .` installs the ROS-free core (skeleton layout, pose backends, tracking,
windowing, features, model, datasets) and the `har-ros` command for the offline tools
(train, evaluate, fetch-weights, info). It does NOT build the custom messages nor install
the ROS nodes' executables, launch files or configs: in a ROS 2 workspace use
`colcon build` (CMakeLists.txt), or `make setup` for the venv route (README).
"""

from setuptools import find_packages, setup

setup(
    name="har_ros",
    version="0.1.0",
    description="Human action recognition toolkit (pose, tracking, LSTM) of the har_ros package",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["har_ros", "har_ros.*"]),
    package_data={"har_ros": ["models/*/*.json", "models/*/*.safetensors", "pose/*.json",
                            "labelling/*.html", "labelling/*.js", "labelling/*.css"]},
    install_requires=[
        "numpy>=1.24",
        "opencv-python-headless>=4.8,<5.1",
        "scipy>=1.10",
        "numba>=0.60",
        "torch==2.13.0",
        "safetensors>=0.4",
        "PyYAML>=6",
        "matplotlib>=3.7",
        "tqdm>=4.60",
        "rosbags>=0.10",
    ],
    # The faster pose runtime (runtime 'auto' uses it when installed; cv2.dnn otherwise).
    extras_require={"openvino": ["openvino==2026.4.1"]},
    entry_points={"console_scripts": ["har-ros = har_ros.cli:main"]},
)
