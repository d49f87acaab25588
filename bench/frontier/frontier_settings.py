"""bench/frontier: the settings the frontier measures and the points beside them.

``SETTINGS`` maps a name to (edge settings overrides, description); ``POINTS`` are the
baselines that are not privsplit settings (``LABELS_POINT`` is sent with stand-ins, as
the default is). The product's default is ``DEFAULT_SETTING``.
A setting in ``SAME_PLANS`` hides exactly what another does (its plans are that one's) and
differs only in how the cloud is asked (``pipeline.stand_ins``: made-up names or typed
placeholders on the wire).
"""

from __future__ import annotations

NO_MODEL = {"hide_with_model": False}
# name -> (edge settings overrides, description). The default is "default".
SETTINGS: dict[str, tuple[dict, str]] = {
    "engine-only": (
        {"pipeline": {**NO_MODEL, "hide_terms": False}},
        "detectors only (no term pass, no model)",
    ),
    "shift-1.0": (
        {"pipeline": {**NO_MODEL, "terms": {"zipf_shift": -1.0}}},
        "term pass, thresholds -1.0 (hides fewer words)",
    ),
    "shift-0.5": (
        {"pipeline": {**NO_MODEL, "terms": {"zipf_shift": -0.5}}},
        "term pass, thresholds -0.5",
    ),
    "places-rare": (
        {"pipeline": {**NO_MODEL, "terms": {"places": "rare"}}},
        "term pass; places judged by frequency (session-2 behaviour)",
    ),
    "places-allow": (
        {"pipeline": {**NO_MODEL, "terms": {"places": "allow"}}},
        "term pass; countries and large cities never hidden",
    ),
    "no-allow-lists": (
        {"pipeline": {**NO_MODEL, "terms": {"allow": []}}},
        "term pass; no language/drug/procedure allow-lists",
    ),
    "english-words-off": (
        {"pipeline": {**NO_MODEL, "terms": {"english_words": False}}},
        "term pass; rare lowercase English vocabulary judged by frequency like any word",
    ),
    "capitalized-words": (
        {"pipeline": {**NO_MODEL, "terms": {"capitalized_words": True}}},
        "term pass; a rare capitalized English word standing alone is kept ('Molarity')",
    ),
    "no-model": (
        {"pipeline": NO_MODEL},
        "pipeline.terms defaults (shift 0, places hidden, allow-lists, name cues); model hider off",
    ),
    "shift+0.5": (
        {"pipeline": {**NO_MODEL, "terms": {"zipf_shift": 0.5}}},
        "term pass, thresholds +0.5 (hides more words)",
    ),
    "shift+1.0": (
        {"pipeline": {**NO_MODEL, "terms": {"zipf_shift": 1.0}}},
        "term pass, thresholds +1.0",
    ),
    "no-model-placeholders": (
        {"pipeline": {**NO_MODEL, "stand_ins": False}},
        "no-model's plans, sent with typed placeholders ([PERSON_1]) instead of stand-ins",
    ),
    "default-placeholders": (
        {"pipeline": {"stand_ins": False}},
        "default's plans, sent with typed placeholders ([PERSON_1]) instead of stand-ins",
    ),
    "default": (
        {},
        "the product's defaults (edge/pipeline/settings.py): no-model + the edge model hider "
        "(0.5B), names sent as stand-ins",
    ),
}
SAME_PLANS = {"no-model-placeholders": "no-model", "default-placeholders": "default"}
DEFAULT_SETTING = "default"
NULL_POINT = "raw-resample"
LABELS_POINT = "pupa-labels"
BASELINES = ("raw", NULL_POINT, "presidio", "pupa-reference", LABELS_POINT)
POINTS = {
    "raw": "the request as it is (answer A: the reference)",
    NULL_POINT: "the request as it is, answered by one more raw sample (T=0.7, a seed in no "
    "denominator): a sampled null point, optimistic with this seed (seed_check.py)",
    "presidio": "Presidio's default recognizers + spaCy, placeholders restored",
    "pupa-reference": "PUPA's own redaction ([REDACTED], nothing restored)",
    LABELS_POINT: "PUPA's labeled units hidden and nothing else (typed by privsplit's "
    "detectors, else NAME), sent with stand-ins and restored: the quality PUPA's labels leave",
}


def uses_model(name: str) -> bool:
    """The setting runs the edge model hider (its own override, else the product default)."""
    from privsplit.edge.pipeline.settings import PipelineSettings

    pipeline = SETTINGS[name][0].get("pipeline", {})
    return pipeline.get("hide_with_model", PipelineSettings().hide_with_model)


def uses_stand_ins(name: str) -> bool:
    """The setting sends made-up names for name placeholders (a baseline point never)."""
    from privsplit.edge.pipeline.settings import PipelineSettings

    if name == LABELS_POINT:
        return True
    if name not in SETTINGS:
        return False
    pipeline = SETTINGS[name][0].get("pipeline", {})
    return pipeline.get("stand_ins", PipelineSettings().stand_ins)
