"""Which convolutions of the OpenPose mobilenet_thin graph stay f32 in its INT8 model.

Two groups, each chosen by measurement against the f32 network on real frames (640x480, net
height 368; see docs/benchmarks.md):

* the convolutions producing each stage's heat maps and PAFs (19 or 38 output channels):
  cheap, and their outputs are what the decoder and the next stage read;
* the start of the backbone (the first convolution and the first depthwise-separable blocks):
  they run at 1/2 and 1/4 of the input resolution, and their INT8 rounding, carried through
  all later layers, is what makes the decoder split people or find extra partial ones in
  crowds. Keeping the whole refinement stages f32 instead (where people are assembled from
  PAFs) changes nothing in the people count and costs far more time.

Names are the graph's own friendly names as OpenVINO reads the frozen graph, so NNCF's
``IgnoredScope(names=...)`` can use them.
"""

from __future__ import annotations

from har_ros.errors import ConfigError, DataError

#: Depthwise-separable blocks at the start of the backbone kept f32 (with the first conv).
DEFAULT_EARLY_BLOCKS = 4


def _is_conv(node: object) -> bool:
    return node.get_type_name() in ("Convolution", "GroupConvolution")


def stage_output_convs(model: object) -> list[str]:
    """Names of the convolutions that produce the heat maps and PAFs of each stage (a
    Convolution + bias feeding a Concat) of ``model`` (an ``openvino.Model``)."""
    names = set()
    for node in model.get_ordered_ops():
        if node.get_type_name() != "Concat":
            continue
        for port in node.inputs():
            add = port.get_source_output().get_node()
            if add.get_type_name() == "Add":
                conv = add.input_value(0).get_node()
                if conv.get_type_name() == "Convolution":
                    names.add(conv.get_friendly_name())
    return sorted(names)


def early_backbone_convs(model: object, blocks: int = DEFAULT_EARLY_BLOCKS) -> list[str]:
    """Names of the first convolution of ``model`` and of the ``blocks`` depthwise-separable
    blocks (a GroupConvolution and the 1x1 Convolution after it) that follow it, in graph
    order; ``blocks`` 0 gives the first convolution alone."""
    convs = [n for n in model.get_ordered_ops() if _is_conv(n)]
    if blocks < 0 or 1 + 2 * blocks > len(convs):
        raise ConfigError(f"blocks {blocks}: the graph has {len(convs)} convolutions")
    chosen = convs[:1 + 2 * blocks]
    kinds = [n.get_type_name() for n in chosen[1:]]
    if kinds != ["GroupConvolution", "Convolution"] * blocks:
        raise DataError(f"the graph does not start with a convolution and {blocks} "
                         f"depthwise-separable blocks: {kinds}")
    return [n.get_friendly_name() for n in chosen]
