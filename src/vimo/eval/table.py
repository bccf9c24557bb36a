"""The summary table of ``vimo eval all`` (the analogue of the paper's Table 1) from the suites' reports.

One row per method; columns from the casual suite (distribution scores and accuracy under simulated cameras,
averaged over the camera regimes), the rendered suite (the full video path on rendered test motions) and the
real suite (clips without 3D truth). A cell is empty where a method does not take part in a suite (the
MediaPipe peer needs a video; the references need no input).
"""

from __future__ import annotations

import numpy as np

LABELS = {
    "vimo": "ViMo (1 sample)",
    "vimo_best_of_5": "ViMo (best of 5, oracle)",
    "baseline_motionbert": "MotionBERT-style lifter (retrained)",
    "mediapipe_world": "MediaPipe world landmarks (peer)",
    "mean_pose": "mean training pose",
    "nearest_window_oracle": "nearest training window (oracle)",
}

COLUMNS = [  # (header, suite, key, format)
    ("FID_k", "casual", "fid_k", ".2f"),
    ("FID_m", "casual", "fid_m", ".2f"),
    ("Div_k", "casual", "div_k", ".2f"),
    ("Div_m", "casual", "div_m", ".2f"),
    ("PA-MPJPE casual (mm)", "casual", "pa_mpjpe_mm", ".1f"),
    ("root-aligned MPJPE casual (mm)", "casual", "root_aligned_mpjpe_mm", ".1f"),
    ("PA-MPJPE-17 rendered (mm)", "rendered", "pa_mpjpe_17_mm", ".1f"),
    ("jitter rendered (m/s^3)", "rendered", "jitter_m_s3", ".0f"),
    ("2D PCK real", "real", "fidelity_pck", ".3f"),
    ("jitter real (m/s^3)", "real", "jitter_m_s3", ".0f"),
    ("bone CV real", "real", "bone_length_cv", ".3f"),
]


def _casual_value(casual: dict, method: str, key: str) -> float | None:
    per_regime = casual.get("methods", {}).get(method)
    if not per_regime:
        return None
    vals = [v.get(key) for v in per_regime.values()]
    vals = [v for v in vals if v is not None and np.isfinite(v)]
    return float(np.mean(vals)) if vals else None


def _value(reports: dict, suite: str, method: str, key: str) -> float | None:
    report = reports.get(suite)
    if not report:
        return None
    if suite == "casual":
        return _casual_value(report, method, key)
    if suite == "rendered":
        return report.get("methods", {}).get(method, {}).get("all", {}).get(key)
    return report.get("summary", {}).get(method, {}).get(key)


def table1(reports: dict) -> str:
    """Markdown: methods x the columns above; ``reports`` maps suite name -> report (absent suites: empty)."""
    methods: list[str] = []
    for suite in ("casual", "rendered", "real"):
        r = reports.get(suite) or {}
        names = r.get("methods", {}) if suite != "real" else r.get("summary", {})
        methods += [m for m in names if m not in methods]
    lines = ["| method | " + " | ".join(c[0] for c in COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for m in methods:
        cells = []
        for _, suite, key, fmt in COLUMNS:
            v = _value(reports, suite, m, key)
            cells.append("" if v is None or not np.isfinite(v) else format(v, fmt))
        lines.append(f"| {LABELS.get(m, m)} | " + " | ".join(cells) + " |")
    truth = {}
    real_set = (reports.get("casual") or {}).get("real_set")
    if real_set:
        truth |= {"FID_k": 0.0, "FID_m": 0.0, "Div_k": real_set["div_k"], "Div_m": real_set["div_m"]}
    ref = (reports.get("rendered") or {}).get("reference", {}).get("ground_truth", {}).get("all", {})
    if ref.get("jitter_m_s3") is not None:
        truth["jitter rendered (m/s^3)"] = ref["jitter_m_s3"]
    if truth:
        cells = ["" if c[0] not in truth else format(truth[c[0]], c[3]) for c in COLUMNS]
        lines.append("| ground truth | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
