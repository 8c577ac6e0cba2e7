"""``flip_idx`` for a pose dataset: which keypoint each one becomes in a mirrored image."""
from __future__ import annotations

import re

_SIDES = re.compile(r"(left|right|Left|Right|LEFT|RIGHT|l_|r_|L_|R_)")
_SWAP = {"left": "right", "right": "left", "Left": "Right", "Right": "Left",
         "LEFT": "RIGHT", "RIGHT": "LEFT", "l_": "r_", "r_": "l_", "L_": "R_", "R_": "L_"}


def flip_index(names: list[str]) -> list[int] | None:
    """Each keypoint's mirror by its name (``left_eye`` <-> ``right_eye``; unsided names
    map to themselves); None when no name pairs up or a sided name has no partner."""
    position = {name: k for k, name in enumerate(names)}
    flip = []
    paired = False
    for k, name in enumerate(names):
        mirrored = _SIDES.sub(lambda m: _SWAP[m.group(0)], name)
        if mirrored == name:
            flip.append(k)
            continue
        partner = position.get(mirrored)
        if partner is None:
            return None
        paired = True
        flip.append(partner)
    return flip if paired else None
