"""2D keypoints -> the network's condition: cleaned and normalised COCO-17 sequences.

Normalisation (the default, ``NormalizationConfig()``), per frame:
1-2. cleaning (:func:`vimo.keypoints.clean_keypoints` with ``cleaning``): joints with confidence < ``min_conf``
   are masked (confidence 0); per joint, gaps of at most ``max_gap`` frames between confident frames are
   linearly interpolated (confidence ``gap_conf``); longer gaps stay masked (the model fills them);
3. centre = the hips' midpoint (gaps in it interpolated, else the mean of confident joints);
4. scale = torso length (shoulders' midpoint to hips' midpoint), gaps interpolated, then a running
   median over ``scale_window`` frames so bending forward does not blow the skeleton up;
5. features per frame: 17 x ((x - centre) / scale, (y - centre) / scale, conf) and 3 global-motion
   channels (centre velocity / scale, and d log scale), zeroed on likely shot cuts and clipped.
Image translation, zoom and cuts change none of the 51 pose channels (up to the running median across a
cut); see the ablation in weights/MODEL_CARD.md for why we keep the 3 motion channels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch

from vimo.keypoints import COCO17_NAMES, CleaningConfig, clean_keypoints, fill_gaps

_IDX = {n: k for k, n in enumerate(COCO17_NAMES)}
HIPS = (_IDX["left_hip"], _IDX["right_hip"])
SHOULDERS = (_IDX["left_shoulder"], _IDX["right_shoulder"])
NUM_KEYPOINTS = len(COCO17_NAMES)
CONDITION_DIM = NUM_KEYPOINTS * 3 + 3  # 54


@dataclass(frozen=True)
class NormalizationConfig:
    cleaning: CleaningConfig = CleaningConfig()  # missing joints and short gaps (the one rule: vimo.keypoints)
    scale_window: int = 15  # frames of the running median on the torso length
    motion_features: bool = True  # keep the 3 global-motion channels (else zeros)
    cut_jump: float = 1.0  # centre jump (torsos per frame) or |d log scale| treated as a shot cut
    clip: float = 3.0  # clip normalised coordinates to +-clip torsos (after centring)

    def to_dict(self) -> dict:
        """Flat settings as bundles store them (``conditioning`` in PREFIX.json): the cleaning fields beside
        the others."""
        out = asdict(self)
        return {**out.pop("cleaning"), **out}

    @classmethod
    def from_dict(cls, settings: dict) -> NormalizationConfig:
        """Inverse of :meth:`to_dict`."""
        cleaning_keys = {f.name for f in fields(CleaningConfig)}
        cleaning = CleaningConfig(**{k: v for k, v in settings.items() if k in cleaning_keys})
        return cls(cleaning, **{k: v for k, v in settings.items() if k not in cleaning_keys})


# Named variants for the ablation in weights/MODEL_CARD.md (``vimo train --conditioning NAME``).
VARIANTS: dict[str, NormalizationConfig] = {
    "default": NormalizationConfig(),
    # Without the 3 global-motion channels: pose only.
    "no_motion": NormalizationConfig(motion_features=False),
    # One scale per window (median over 151 frames): not invariant to zooms and cuts within a window.
    "window_scale": NormalizationConfig(scale_window=151),
    # No gap filling: every low-confidence frame stays masked.
    "no_gap_fill": NormalizationConfig(CleaningConfig(max_gap=0)),
}


def _hold_ends(values: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Extend the first/last valid value of (..., T, C) over the leading/trailing invalid frames."""
    num = valid.shape[-1]
    ar = torch.arange(num, device=values.device).expand_as(valid)
    prev = torch.where(valid, ar, torch.full_like(ar, -1)).cummax(dim=-1).values
    nxt = torch.where(valid, ar, torch.full_like(ar, num)).flip(-1).cummin(dim=-1).values.flip(-1)
    src = torch.where(prev >= 0, prev, nxt).clamp(0, num - 1)
    return torch.where(valid.unsqueeze(-1), values, torch.gather(values, -2, src.unsqueeze(-1).expand_as(values)))


def normalize_keypoints(keypoints: torch.Tensor, config: NormalizationConfig = NormalizationConfig()) -> torch.Tensor:
    """(..., T, 17, 3) pixel keypoints [x, y, conf] -> (..., T, 54) condition features."""
    if keypoints.shape[-2:] != (NUM_KEYPOINTS, 3):
        raise ValueError(f"keypoints must be (..., T, {NUM_KEYPOINTS}, 3), got {tuple(keypoints.shape)}")
    # 1-2. Missing joints masked, short gaps filled.
    kp = clean_keypoints(keypoints, config.cleaning).data
    xy, conf = kp[..., :2], kp[..., 2]
    valid = conf >= config.cleaning.min_conf  # (..., T, 17): confident or interpolated

    # 3. Centre.
    hips_ok = valid[..., HIPS[0]] & valid[..., HIPS[1]]  # (..., T)
    centre = 0.5 * (xy[..., HIPS[0], :] + xy[..., HIPS[1], :])
    centre, c_filled = fill_gaps(centre, hips_ok, None)
    any_ok = valid.any(-1)
    mean_valid = (xy * valid.unsqueeze(-1)).sum(-2) / valid.sum(-1, keepdim=True).clamp_min(1)
    centre_ok = hips_ok | c_filled
    centre = torch.where(centre_ok.unsqueeze(-1), centre, mean_valid)
    centre_ok = centre_ok | any_ok
    centre = _hold_ends(centre, centre_ok)

    # 4. Scale: torso length, gaps filled, running median.
    torso_ok = hips_ok & valid[..., SHOULDERS[0]] & valid[..., SHOULDERS[1]]
    shoulder_mid = 0.5 * (xy[..., SHOULDERS[0], :] + xy[..., SHOULDERS[1], :])
    hip_mid = 0.5 * (xy[..., HIPS[0], :] + xy[..., HIPS[1], :])
    torso = (shoulder_mid - hip_mid).norm(dim=-1, keepdim=True)  # (..., T, 1)
    torso_ok = torso_ok & (torso[..., 0] > 1e-3)
    # Fallback where no torso: a third of the confident joints' bounding-box height.
    big = torch.finfo(xy.dtype).max
    y = xy[..., 1]
    top = torch.where(valid, y, torch.full_like(y, big)).min(-1).values
    bottom = torch.where(valid, y, torch.full_like(y, -big)).max(-1).values
    bbox_scale = ((bottom - top) / 3.0).clamp_min(1e-3).unsqueeze(-1)
    scale, s_filled = fill_gaps(torso, torso_ok, None)
    scale_ok = torso_ok | s_filled
    scale = torch.where(scale_ok.unsqueeze(-1), scale, torch.where(any_ok.unsqueeze(-1), bbox_scale, scale))
    scale = _hold_ends(scale, scale_ok | any_ok)
    scale = torch.where((scale_ok | any_ok).any(-1, keepdim=True).unsqueeze(-1), scale, torch.ones_like(scale))
    scale = _running_median(scale[..., 0], config.scale_window).clamp_min(1e-3)  # (..., T)

    pose = (xy - centre.unsqueeze(-2)) / scale[..., None, None]
    pose = pose.clamp(-config.clip, config.clip) * valid.unsqueeze(-1)
    feats = torch.cat([pose, conf.unsqueeze(-1)], dim=-1).flatten(-2)  # (..., T, 51)

    motion = torch.zeros(*feats.shape[:-1], 3, dtype=feats.dtype, device=feats.device)
    if config.motion_features and feats.shape[-2] > 1:
        vel = (centre[..., 1:, :] - centre[..., :-1, :]) / scale[..., 1:, None]
        dlog = torch.log(scale[..., 1:] / scale[..., :-1]).unsqueeze(-1)
        step = torch.cat([vel, dlog], dim=-1)
        ok = (any_ok[..., 1:] & any_ok[..., :-1]).unsqueeze(-1)
        cut = (vel.norm(dim=-1, keepdim=True) > config.cut_jump) | (dlog.abs() > 0.3 * config.cut_jump)
        step = torch.where(ok & ~cut, step, torch.zeros_like(step)).clamp(-1.0, 1.0)
        motion[..., 1:, :] = step
    return torch.cat([feats, motion], dim=-1)


def _running_median(x: torch.Tensor, window: int) -> torch.Tensor:
    """Median over a centred window along the last dim (edges use the available frames)."""
    if window <= 1 or x.shape[-1] < 2:
        return x
    half = window // 2
    pad = torch.nn.functional.pad(x.unsqueeze(-2), (half, half), mode="replicate").squeeze(-2)
    return pad.unfold(-1, 2 * half + 1, 1).median(dim=-1).values
