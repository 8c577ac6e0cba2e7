"""Label Studio's JSON-MIN export, turned into the tasks of its JSON export so that one
reader reads both.

JSON-MIN (``Converter.convert_to_json_min``) writes one record per annotation: the task's
data fields first, then ``id`` (the task's), one key per control holding its regions'
values (``original_width``/``original_height`` folded into each; result type, region id
and ``parentID`` gone), then ``annotator``, ``annotation_id``, ``created_at``,
``updated_at``, ``lead_time`` and maybe ``agreement``. A control with one choice or one
text holds the bare string. The labeling config, when there is one, names each control's
type; without it the type is told from the value's keys.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cococonv.errors import DataError
from cococonv.report import Report

from .config import LabelingConfig

_ANNOTATION_KEYS = {"annotation_id": "id", "annotator": "completed_by",
                    "created_at": "created_at", "updated_at": "updated_at",
                    "lead_time": "lead_time"}
_RECORD_KEYS = frozenset(_ANNOTATION_KEYS) | {"id", "agreement"}
_LABEL_KEYS = ("rectanglelabels", "polygonlabels", "keypointlabels", "ellipselabels",
               "brushlabels")
_KNOWN_TAGS = frozenset(_LABEL_KEYS) | {"rectangle", "polygon", "keypoint", "ellipse",
                                        "brush", "choices", "textarea", "number",
                                        "rating", "datetime", "taxonomy"}
_ATTRIBUTE_KEYS = (("choices", "choices"), ("text", "textarea"), ("number", "number"),
                   ("rating", "rating"), ("datetime", "datetime"), ("taxonomy", "taxonomy"))


@dataclass
class Converted:
    """One task built from JSON-MIN records, with the way back to their places."""

    task: Any
    where: str
    places: dict[str, str] = field(default_factory=dict)  # task place -> JSON-MIN place
    error: DataError | None = None

    def check(self) -> None:
        """Raise what building the task found wrong (a value of no known control)."""
        if self.error is not None:
            raise self.error

    def place(self, where: str | None) -> str | None:
        """The JSON-MIN place of a place in the built task (``.value`` is the record's
        own region object there)."""
        if not where:
            return where
        for prefix in sorted(self.places, key=len, reverse=True):
            rest = where[len(prefix):]
            if where.startswith(prefix) and rest[:1] in ("", ".", "["):
                if rest.startswith(".value"):
                    rest = rest[len(".value"):]
                return self.places[prefix] + rest
        return where


def tasks_of(doc: list | dict, config: LabelingConfig | None,
             report: Report) -> list[Converted]:
    """The tasks of an export document (a list, or one object): a JSON export's as they
    are, a JSON-MIN export's built from its records."""
    records = doc if type(doc) is list else [doc]
    if not is_json_min(records):
        return [Converted(task, f"[{t}]" if type(doc) is list else "")
                for t, task in enumerate(records)]
    built = to_tasks(records, config, report)
    if type(doc) is dict:  # one record, not in a list: its places have no "[0]"
        built[0].where = ""
        built[0].places = {k[3:]: v[3:] for k, v in built[0].places.items()}
    return built


def is_json_min(records: list) -> bool:
    """True for a JSON-MIN export: records without ``data`` and annotation lists, that
    carry an annotation's ``annotator`` or ``annotation_id`` at the top."""
    dicts = [r for r in records if type(r) is dict]
    return bool(dicts) and \
        not any(k in r for r in dicts for k in ("data", "annotations", "completions",
                                                "predictions")) and \
        any("annotation_id" in r or "annotator" in r for r in dicts)


def to_tasks(records: list, config: LabelingConfig | None, report: Report) -> list[Converted]:
    """The tasks JSON-MIN ``records`` hold; records of one task id (one per annotator)
    become one task with several annotations, in file order."""
    out: list[Converted] = []
    by_id: dict[Any, Converted] = {}
    for i, record in enumerate(records):
        where = f"[{i}]"
        if type(record) is not dict:
            out.append(Converted(record, where))
            continue
        controls = _controls(record, config)
        data = {k: v for k, v in record.items() if k not in _RECORD_KEYS and k not in controls}
        task_id = record.get("id")
        key = task_id if type(task_id) in (int, str) else None
        conv = by_id.get(key) if key is not None else None
        if conv is None:
            conv = Converted({"id": task_id, "data": data, "annotations": []}, where)
            if "agreement" in record:
                conv.task["agreement"] = record["agreement"]
            out.append(conv)
            if key is not None:
                by_id[key] = conv
        image_keys = config.image_keys if config else []
        to_name = next((k for k in image_keys if k in data), "image")
        results: list[dict] = []
        places: list[str] = []
        for name in controls:
            if config is not None and name in config.per_region:
                count = len(record[name]) if type(record[name]) is list else 1
                report.lost("attributes", "per-region controls in JSON-MIN, which drops "
                            "the region each belongs to (export as JSON)", count)
                continue
            values = record[name]
            many = type(values) is list
            for j, value in enumerate(values if many else [values]):
                place = f"{where}.{name}[{j}]" if many else f"{where}.{name}"
                tag = config.controls.get(name) if config else None
                try:
                    results.append(_result(name, value, tag, to_name, place))
                    places.append(place)
                except DataError as err:
                    conv.error = conv.error or err
        if not results and record.get("annotation_id") is None:
            continue  # a task without annotations: JSON-MIN writes its data alone
        k = len(conv.task["annotations"])
        annotation = {ours: record[theirs] for theirs, ours in _ANNOTATION_KEYS.items()
                      if theirs in record}
        annotation["result"] = results
        conv.task["annotations"].append(annotation)
        head = f"{conv.where}.annotations[{k}]"
        conv.places[head] = where
        for r, place in enumerate(places):
            conv.places[f"{head}.result[{r}]"] = place
    return out


def _controls(record: dict, config: LabelingConfig | None) -> list[str]:
    """The keys of a record that are controls: those the config names, those JSON-MIN
    wrote between ``id`` and ``annotator``, and (without a config) lists of regions."""
    keys = list(record)
    between: list[str] = []
    if "id" in record and "annotator" in record:
        start, end = keys.index("id"), keys.index("annotator")
        between = keys[start + 1:end]
    named = config.controls if config else {}
    return [k for k in keys if k not in _RECORD_KEYS and
            (k in named or k in between or
             (config is None and type(record[k]) is list and record[k] and
              all(type(v) is dict for v in record[k])))]


def _result(name: str, value: Any, tag: str | None, to_name: str, place: str) -> dict:
    """The JSON export's result for one value of control ``name``."""
    base = {"from_name": name, "to_name": to_name}
    if type(value) is str:
        if tag == "textarea":
            return {**base, "type": "textarea", "value": {"text": [value]}}
        return {**base, "type": "choices", "value": {"choices": [value]}}
    if type(value) is not dict:
        raise DataError(f"a control's value is a region object or a string, got "
                        f"{type(value).__name__}", where=place)
    value = dict(value)
    rtype = _value_type(value, tag)
    if rtype is None:
        raise DataError(f"cannot tell which kind of control wrote this value (keys: "
                        f"{', '.join(sorted(value)) or 'none'}); give the labeling config "
                        f"with --config", where=place)
    if rtype in _LABEL_KEYS and rtype not in value and "labels" in value:
        value[rtype] = value.pop("labels")  # a <Labels> control paired with a tool
    result = {**base, "type": rtype}
    for key in ("original_width", "original_height", "id", "parentID"):
        if key in value:
            got = value.pop(key)
            if got is not None:
                result[key] = got
    result["value"] = value
    return result


def _value_type(value: dict, tag: str | None) -> str | None:
    """The result type of a JSON-MIN value: the config's tag, else its keys."""
    geometry = _geometry(value)
    if tag == "labels" or (tag is None and "labels" in value):
        return f"{geometry}labels" if geometry else "labels"
    if tag in _KNOWN_TAGS:
        return tag
    found = next((key for key in _LABEL_KEYS if key in value), None)
    if found or geometry:
        return found or geometry
    return next((rtype for key, rtype in _ATTRIBUTE_KEYS if key in value), None)


def _geometry(value: dict) -> str | None:
    if "rle" in value or value.get("format") == "rle":
        return "brush"
    if "radiusX" in value:
        return "ellipse"
    if "points" in value:
        return "polygon"
    if "x" in value and "y" in value:
        return "rectangle" if "height" in value else "keypoint"
    return None
