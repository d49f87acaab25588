"""Detectors behind one interface, kept in a registry by name."""

from privsplit.edge.privacy.detectors.base import (
    Detector,
    available_detectors,
    create_detector,
    detector_class,
    register_detector,
)

__all__ = [
    "Detector",
    "available_detectors",
    "create_detector",
    "detector_class",
    "register_detector",
]
