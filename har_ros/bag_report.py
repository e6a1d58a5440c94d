"""Score the pipeline on a labelled bag offline: the nodes' core code over the bag, then frame
accuracy, macro-F1 and detection delay against the labels (``har-ros evaluate --bag``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from har_ros.bag_eval import Trace
    from har_ros.bags.labels import Labels
    from har_ros.classifier import ActionClassifier


def evaluate_labelled_bag(bag: str, labels_path: str, model: str = "",
                          topics: list[str] | None = None, progress: bool = True,
                          classifier: ActionClassifier | None = None,
                          class_map: str | None = None) -> tuple[dict, Trace, Labels]:
    """Run the nodes' core code over ``bag`` offline (:func:`har_ros.bag_eval.evaluate_offline`)
    and score it against the labels file: (report, trace, labels as scored). ``model``: model
    folder, "" for the shipped model; ``topics``: input topics, None for the bag's skeleton
    (else image) topics; ``class_map``: a class-map file (:mod:`har_ros.class_map`) renaming
    the labels to the model's classes, checked before the bag is read."""
    from har_ros.action_config import ActionNodeConfig
    from har_ros.bag_eval import evaluate_offline as run
    from har_ros.bag_eval import score_trace
    from har_ros.bags.labels import load_labels

    labels = load_labels(labels_path)
    cfg = ActionNodeConfig(model_path=model)
    if class_map:
        from har_ros.action_pipeline import load_classifier
        from har_ros.class_map import load_class_map, map_labels

        cmap = load_class_map(class_map)
        classifier = classifier or load_classifier(cfg)
        labels = map_labels(labels, cmap, classifier.classes)
    trace, chosen = run(bag, topics, action_config=cfg, classifier=classifier,
                        progress=progress)
    report = score_trace(trace, labels, chosen)
    report["mode"] = "offline"
    report["class_map"] = class_map
    return report, trace, labels
