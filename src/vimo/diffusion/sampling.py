"""The denoising loop: scheduler + an x0-predicting network + classifier-free guidance + inpainting.

The network is any callable ``model(x_t, t, cond) -> x0`` with ``encode``-once conditions; this module
knows nothing about bodies or keypoints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import torch

from vimo.diffusion.scheduler import DDIMScheduler


class ConditionLike(Protocol):
    def cat(self, other: ConditionLike) -> ConditionLike: ...


@dataclass
class Constraint:
    """Known values to keep (paper eq. 8): values (B, W, D) in the model's space; mask (B, W, D) or
    broadcastable, True where the value is known. The output equals ``values`` exactly where mask."""

    values: torch.Tensor
    mask: torch.Tensor


def guided_x0(model, x_t: torch.Tensor, t: torch.Tensor, cond, null, guidance: float, both=None) -> torch.Tensor:
    """uncond + w (cond - uncond), cond and uncond in one batched forward (w = 1: cond only); ``both``:
    ``cond.cat(null)`` when the caller has it already."""
    if null is None or guidance == 1.0:
        return model(x_t, t, cond)
    if cond is None or guidance == 0.0:
        return model(x_t, t, null)
    out = model(torch.cat([x_t, x_t]), torch.cat([t, t]), cond.cat(null) if both is None else both)
    x_cond, x_uncond = out.chunk(2)
    return x_uncond + guidance * (x_cond - x_uncond)


# A correction of each step's clean estimate: guide(x0 (B, W, D), t) -> x0 (e.g. towards agreeing with
# observations); the sampler re-noises the result as usual.
Guide = Callable[[torch.Tensor, int], torch.Tensor]


@torch.no_grad()
def sample(
    model,
    scheduler: DDIMScheduler,
    shape: tuple[int, ...],
    *,
    cond=None,
    null=None,
    guidance: float = 2.0,
    steps: int = 50,
    generator: torch.Generator | None = None,
    constraint: Constraint | None = None,
    resample: int = 1,
    device: torch.device | str = "cpu",
    guide: Guide | None = None,
) -> torch.Tensor:
    """Draw x0 of ``shape`` (B, W, D). ``resample`` > 1 repeats each step RePaint-style (re-noise one
    step and denoise again) to harmonise generated and known regions. ``guide`` corrects each step's clean
    estimate before the scheduler step (it runs with gradients enabled if it needs them)."""
    scheduler.set_timesteps(steps)
    prepare = getattr(model, "prepare", None)  # step-invariant work on the conditions, done once
    if prepare is not None:
        cond, null = (None if c is None else prepare(c) for c in (cond, null))
    both = cond.cat(null) if cond is not None and null is not None else None
    x = torch.randn(shape, generator=generator, device=device)
    for t in scheduler.timesteps.tolist():
        t_batch = torch.full((shape[0],), t, device=device, dtype=torch.long)
        for r in range(max(1, resample)):
            x0 = guided_x0(model, x, t_batch, cond, null, guidance, both)
            if guide is not None:
                x0 = guide(x0, t)
            x_prev = scheduler.step(x0, t, x, generator=generator).prev_sample
            if constraint is not None:
                t_prev = scheduler.previous_timestep(t)
                known = constraint.values
                if t_prev > 0:
                    noise = torch.randn(shape, generator=generator, device=device)
                    known = scheduler.add_noise(constraint.values, noise, t_prev)
                x_prev = torch.where(constraint.mask, known, x_prev)
            if r + 1 < resample and scheduler.previous_timestep(t) > 0:
                # Back to t: forward-diffuse x_{t_prev} by one step (q(x_t | x_{t_prev})).
                a_t = scheduler.alphas_cumprod[t] / scheduler.alphas_cumprod[scheduler.previous_timestep(t)]
                noise = torch.randn(shape, generator=generator, device=device)
                x = a_t.sqrt().float() * x_prev + (1 - a_t).sqrt().float() * noise
            else:
                x = x_prev
    return x
