"""Launch the har_ros pipeline: pose_node (images -> skeletons) and action_node
(skeletons -> ActionStamped), with remappable topics; optionally the reference safety_gate
(action -> speed_scale).

  ros2 launch har_ros pipeline.launch.py cameras:="[cam_ceiling, cam_side]" \
      image_topics:="[/ceiling/image_raw, /side/image_raw/compressed]" namespace:=har \
      safety_gate:=true

Arguments: cameras, image_topics, backend, model, params_file, namespace, use_sim_time,
safety_gate, safety_gate_params.
Outputs (relative to the namespace): <camera>/skeletons, actions (per track), action
(operator-level heartbeat), speed_scale (with safety_gate:=true) and /diagnostics.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

ARGUMENTS = {
    "cameras": ("[camera]", "Camera names, a YAML list; camera i publishes <name>/skeletons."),
    "image_topics": (
        "[camera/image_raw]",
        "Image topic per camera, a YAML list; a name ending in /compressed is CompressedImage.",
    ),
    "backend": ("openpose_mobilenet", "Pose backend: openpose_mobilenet, mediapipe, pyopenpose."),
    "model": ("", "Action model folder (model.safetensors + model.json); empty = shipped model."),
    "params_file": (
        PathJoinSubstitution([FindPackageShare("har_ros"), "config", "pipeline.yaml"]),
        "Parameter file with pose_node: and action_node: sections.",
    ),
    "namespace": ("", "Namespace for both nodes and their topics."),
    "use_sim_time": ("false", "Use /clock (true when replaying a bag with --clock)."),
    "safety_gate": ("false", "Also start the reference safety gate (action -> speed_scale)."),
    "safety_gate_params": (
        PathJoinSubstitution([FindPackageShare("har_ros"), "config", "safety_gate.yaml"]),
        "The safety gate's policy: a parameter file with a safety_gate: section.",
    ),
}


def generate_launch_description() -> LaunchDescription:
    declared = [
        DeclareLaunchArgument(name, default_value=default, description=text)
        for name, (default, text) in ARGUMENTS.items()
    ]
    cfg = {name: LaunchConfiguration(name) for name in ARGUMENTS}
    common = {"use_sim_time": cfg["use_sim_time"], "cameras": cfg["cameras"]}
    pose = Node(
        package="har_ros",
        executable="pose_node",
        name="pose_node",
        namespace=cfg["namespace"],
        parameters=[
            cfg["params_file"],
            dict(common, image_topics=cfg["image_topics"], backend=cfg["backend"]),
        ],
        output="screen",
    )
    action = Node(
        package="har_ros",
        executable="action_node",
        name="action_node",
        namespace=cfg["namespace"],
        parameters=[cfg["params_file"], dict(common, model_path=cfg["model"])],
        output="screen",
    )
    gate = Node(
        package="har_ros",
        executable="safety_gate",
        name="safety_gate",
        namespace=cfg["namespace"],
        parameters=[cfg["safety_gate_params"], {"use_sim_time": cfg["use_sim_time"]}],
        output="screen",
        condition=IfCondition(cfg["safety_gate"]),
    )
    return LaunchDescription([*declared, pose, action, gate])
