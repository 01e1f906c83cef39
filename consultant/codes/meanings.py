"""What the NCCI PTP modifier indicator and the MUE adjudication indicator (MAI) mean: in full (CMS's
wording, for `codes check` and replies) and in short (one line of `codes show`)."""

from __future__ import annotations

MODIFIER_INDICATORS = {
    "0": "modifier not allowed",
    "1": "allowed with an appropriate modifier",
    "9": "not applicable (deleted edit)",
}
ADJUDICATION_INDICATORS = {
    1: "line edit",
    2: "date of service edit: policy",
    3: "date of service edit: clinical",
}
MODIFIER_INDICATORS_SHORT = {"0": "no modifier allowed", "1": "modifier allowed", "9": "not applicable"}
ADJUDICATION_INDICATORS_SHORT = {1: "per line", 2: "per day (policy)", 3: "per day (clinical)"}
