"""The labeling config XML: which labels exist (in order), their aliases, and which data
field holds the image. Read to fix label order and names; written beside an export so
Label Studio shows every region and attribute the tasks hold."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cococonv.xmlsafe import attr, check_writable, parse_bytes

#: Control tags whose ``<Label>`` children are region classes.
LABEL_TAGS = {"rectanglelabels", "polygonlabels", "keypointlabels", "ellipselabels",
              "brushlabels", "labels", "polylinelabels"}


@dataclass
class LabelingConfig:
    """What cococonv uses of a labeling config."""

    labels: list[str] = field(default_factory=list)  # region and choice classes, in order
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> label value
    image_keys: list[str] = field(default_factory=list)  # data fields of <Image value="$x">
    # control name -> its tag, lower case (JSON-MIN keys results by control name only)
    controls: dict[str, str] = field(default_factory=dict)
    per_region: set[str] = field(default_factory=set)  # controls with perRegion="true"

    def name_of(self, value: str) -> str:
        return self.aliases.get(value, value)


def read_config(data: bytes, display: str) -> LabelingConfig:
    """Parse a labeling config; DataError naming the file for XML that does not parse."""
    root = parse_bytes(data, display)
    config = LabelingConfig()
    seen: set[str] = set()
    for elem in root.iter():
        tag = elem.tag.lower() if isinstance(elem.tag, str) else ""
        if tag == "image":
            value = elem.get("value", "")
            if value.startswith("$") and value[1:] not in config.image_keys:
                config.image_keys.append(value[1:])
        if elem.get("name") and elem.get("toName"):
            config.controls.setdefault(elem.get("name"), tag)
            if _per_region(elem):
                config.per_region.add(elem.get("name"))
        parent = elem.getparent()
        parent_tag = parent.tag.lower() if parent is not None and isinstance(parent.tag, str) \
            else ""
        if (tag == "label" and parent_tag in LABEL_TAGS) or \
                (tag == "choice" and parent_tag == "choices" and not _per_region(parent)):
            value = elem.get("value")
            if not value:
                continue
            alias = elem.get("alias")
            if alias:
                config.aliases[alias] = value
            if value not in seen:
                seen.add(value)
                config.labels.append(value)
    return config


def _per_region(elem) -> bool:
    return (elem.get("perRegion") or elem.get("perregion") or "").lower() == "true"


#: The control names our exports use, one per region kind (and per image-level kind).
CONTROLS = {"bbox": ("RectangleLabels", "rect_labels"),
            "polygon": ("PolygonLabels", "polygon_labels"),
            "points": ("KeyPointLabels", "keypoint_labels"),
            "ellipse": ("EllipseLabels", "ellipse_labels"),
            "mask": ("BrushLabels", "brush_labels")}
TAGS_CONTROL = "image_tags"
CAPTION_CONTROL = "caption"
IMAGE_NAME = "image"
RESERVED = {name for _, name in CONTROLS.values()} | {TAGS_CONTROL, CAPTION_CONTROL,
                                                      IMAGE_NAME}


def write_config(labels: list[str], kinds: Iterable[tuple[str, str]],
                 attributes: dict[str, str], *, tags: Iterable[str],
                 captions: Iterable[str]) -> str:
    """A labeling config for the written tasks: an Image, one labels control per region
    kind and control name used (every label in each, in order), the image-level Choices
    and TextArea controls used, and one per-region control per attribute (``attributes``:
    name -> bool|number|text)."""
    for name in labels:
        check_writable(name, f"label {name!r}")
    options = "".join(f'\n    <Label value="{attr(name)}"/>' for name in labels)
    lines = ["<View>", f'  <Image name="{IMAGE_NAME}" value="${IMAGE_NAME}"/>']
    for kind, name in sorted(set(kinds)):
        check_writable(name, f"control {name!r}")
        tag = CONTROLS[kind][0]
        body = options
        if kind == "points":  # Label Studio's own COCO/YOLO export wants the point order
            body = "".join(f'\n    <Label value="{attr(label)}" model_index="{k}"/>'
                           for k, label in enumerate(labels))
        lines.append(f'  <{tag} name="{attr(name)}" toName="{IMAGE_NAME}">{body}\n'
                     f'  </{tag}>')
    choices = "".join(f'\n    <Choice value="{attr(name)}"/>' for name in labels)
    for name in sorted(set(tags)):
        check_writable(name, f"control {name!r}")
        lines.append(f'  <Choices name="{attr(name)}" toName="{IMAGE_NAME}" '
                     f'choice="multiple">{choices}\n  </Choices>')
    for name in sorted(set(captions)):
        check_writable(name, f"control {name!r}")
        lines.append(f'  <TextArea name="{attr(name)}" toName="{IMAGE_NAME}"/>')
    for name, kind in sorted(attributes.items()):
        check_writable(name, f"attribute {name!r}")
        shown = attr(name)
        where = f'name="{shown}" toName="{IMAGE_NAME}" perRegion="true"'
        if kind == "bool":
            lines.append(f'  <Choices {where} choice="multiple">\n'
                         f'    <Choice value="{shown}"/>\n  </Choices>')
        elif kind == "number":
            lines.append(f"  <Number {where}/>")
        else:
            lines.append(f"  <TextArea {where}/>")
    lines.append("</View>")
    return "\n".join(lines) + "\n"
