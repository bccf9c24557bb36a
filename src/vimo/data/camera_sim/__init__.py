"""Casual-camera simulator: from 3D COCO-17 markers, what a 2D detector would output on a casual video.

A virtual camera films the markers (``vimo.data.markers``) under one of four regimes, and the
projection is then corrupted like a detector's output:

- ``static``: a tripod shot. The camera looks at the middle of the person's path (with a random
  aim offset so the person isn't always centred) and zooms out where needed so the person stays
  in frame.
- ``moving``: a hand-held operator following the person (smoothed, lagging), orbiting with a
  smoothly varying yaw rate, dollying and zooming (factors relative to the first frame) and shaking.
  The heading of the optical axis never turns faster than ``max_yaw_rate_deg`` (orbit + shake).
- ``montage``: an edit of static shots; at each cut (every ``cut_interval_s``) a new random
  viewpoint (yaw anywhere but at least ``min_cut_yaw_change_deg`` from the last one, new
  distance, elevation and focal length). Within a shot the camera does not move.
- ``tracking``: a crop (a virtual pan-tilt-zoom camera) that follows the person's hips with a short
  causal lag and a zoom that can cut off the limbs; joints outside the crop get confidence 0.

Every regime yields a real pinhole camera per frame (R, t, focal, principal; see
``vimo.geometry.camera`` for the convention), so the clean keypoints back-project exactly.

Corruption, each part switchable (``SimConfig.noiseless()`` turns all of it off): Gaussian noise
with a std proportional to the person's 2D size; a Beta-like confidence that drops where the noise
is large; face points that fade as the head turns away from the camera; occlusion events (1-6
neighbouring joints for 0.3-1.5 s, confidence 0 or a low confidence with jittered positions);
short left/right swaps of a limb; missed frames (all confidence 0). Joints behind the camera or
outside the image get confidence 0; missing joints have x = y = 0 (COCO style) unless
``zero_missing_xy`` is off.

Everything is vectorised over samples and frames (``simulate_batch`` is called every training
step); the only Python loops are over the samples that need a causal smoothing filter.

Modules: ``config`` (settings, presets, results), ``simulate`` (the entry points), ``cameras`` (the four
regimes' cameras), ``detector`` (the corruption), ``signals`` (noise and filters over time).
"""

from vimo.data.camera_sim.config import CASUAL_SIM_CONFIG, COMMON_IMAGE_SIZES, SWAP_GROUPS, Event, SimConfig, SimResult
from vimo.data.camera_sim.simulate import random_regimes, simulate, simulate_batch, simulate_clips
from vimo.options import Regime

__all__ = [
    "CASUAL_SIM_CONFIG",
    "COMMON_IMAGE_SIZES",
    "SWAP_GROUPS",
    "Event",
    "Regime",
    "SimConfig",
    "SimResult",
    "random_regimes",
    "simulate",
    "simulate_batch",
    "simulate_clips",
]
