"""Where a task's ``data.image`` points, and the images ``--save-images`` copies.

Saved images go to ``images/<image name>`` beside the task files (never among them: a
hostile name cannot overwrite a ``<subset>.json`` or the config), and ``data.image`` is that
path, after ``--image-prefix``. A name already in ``images/`` (what the importer gives for
a task beside its images folder) is saved there as it is, so label_studio -> label_studio
does not nest ``images/images/``. Without ``--save-images`` a task read from Label Studio
keeps its own URL, and others name their image as the model does.
"""
from __future__ import annotations

from typing import Any

from cococonv.images import with_ext
from cococonv.model import Item

SAVED_FOLDER = "images/"


def is_saved(plan: Any, item: Item) -> bool:
    """Whether ``--save-images`` writes this item's image (it has one, with data)."""
    return bool(plan.save_images) and item.image is not None and item.image.has_data


def saved_rel(plan: Any, item: Item) -> str:
    """The saved image's path in the output (``a/b.png`` -> ``images/a/b.png``)."""
    name = with_ext(item.image.name, plan.image_ext)  # type: ignore[union-attr]
    return name if name.startswith(SAVED_FOLDER) else SAVED_FOLDER + name


def task_image(plan: Any, item: Item, own: dict[str, Any]) -> str:
    """The ``data.image`` value of ``item``: its saved copy, the URL it was read from
    (when its name and the prefix are as read), else ``--image-prefix`` + its name."""
    if is_saved(plan, item):
        return plan.image_prefix + url_path(saved_rel(plan, item))
    if item.image is None:
        return plan.image_prefix + url_path(item.id)
    name = with_ext(item.image.name, plan.image_ext)
    url = own.get("url")
    if type(url) is str and name == own.get("name") and not plan.image_prefix:
        return url  # the image read from this URL: the URL Label Studio knows it by
    return plan.image_prefix + url_path(name)


def url_path(name: str) -> str:
    """``name`` as the path of a URL: ``%``, ``?`` and ``#`` escaped, the rest as it is.

    Why: ``data.image`` is a URL, read back with its query and fragment cut and its
    escapes decoded, so ``q?x.jpg`` read back as ``q`` and ``c%20d.jpg`` as ``c d.jpg``
    (red-team R7); a name without those three characters is written unchanged."""
    return name.replace("%", "%25").replace("?", "%3F").replace("#", "%23")
