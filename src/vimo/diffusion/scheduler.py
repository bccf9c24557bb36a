"""Cosine noise schedule and a DDIM scheduler for x0-predicting models (diffusers-style interface).

Timesteps run 0..T with ``alphas_cumprod[0] == 1``: t = 0 is clean data and training draws
t ~ U{1..T} (DDPM's indexing). ``set_timesteps(n)`` spaces n steps evenly from T down to T/n
(T=1000, n=50: 1000, 980, ..., 20); the step after the last one lands on t = 0, i.e. the prediction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


def cosine_alphas_cumprod(num_timesteps: int, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """(T+1,) cumulative alphas of the cosine schedule (Nichol & Dhariwal 2021), float64, [0] = 1."""
    steps = torch.arange(num_timesteps + 1, dtype=torch.float64)
    f = torch.cos((steps / num_timesteps + s) / (1 + s) * math.pi / 2) ** 2
    betas = (1 - f[1:] / f[:-1]).clamp(max=max_beta)
    return torch.cat([torch.ones(1, dtype=torch.float64), torch.cumprod(1 - betas, 0)])


@dataclass
class StepOutput:
    prev_sample: torch.Tensor  # x_{t_prev}
    pred_original_sample: torch.Tensor  # the x0 used for the step


class DDIMScheduler:
    """DDIM (Song et al. 2021) for x0-prediction; ``eta`` = 0 deterministic, 1 = DDPM-like (EDGE)."""

    def __init__(self, num_train_timesteps: int = 1000, *, eta: float = 0.0) -> None:
        self.num_train_timesteps = num_train_timesteps
        self.eta = eta
        self.alphas_cumprod = cosine_alphas_cumprod(num_train_timesteps)
        self.timesteps = torch.arange(num_train_timesteps, 0, -1)

    def set_timesteps(self, num_inference_steps: int) -> None:
        if not 1 <= num_inference_steps <= self.num_train_timesteps:
            raise ValueError(f"num_inference_steps must be in [1, {self.num_train_timesteps}]")
        spacing = self.num_train_timesteps // num_inference_steps
        self.timesteps = torch.arange(num_inference_steps, 0, -1) * spacing

    def previous_timestep(self, t: int) -> int:
        later = self.timesteps[self.timesteps < t]
        return int(later.max()) if len(later) else 0

    def _abar(self, t: torch.Tensor | int, like: torch.Tensor) -> torch.Tensor:
        a = self.alphas_cumprod[torch.as_tensor(t, device=self.alphas_cumprod.device).long().cpu()]
        a = a.to(device=like.device, dtype=like.dtype)
        return a.reshape(a.shape + (1,) * (like.dim() - a.dim()))

    def add_noise(self, original: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor | int) -> torch.Tensor:
        """q(x_t | x_0): sqrt(abar_t) x0 + sqrt(1 - abar_t) noise; timesteps (B,) or a scalar."""
        abar = self._abar(timesteps, original)
        return abar.sqrt() * original + (1 - abar).sqrt() * noise

    def step(
        self,
        model_output: torch.Tensor,
        timestep: int,
        sample: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
    ) -> StepOutput:
        """One DDIM update from ``timestep`` to the previous one, given the predicted x0."""
        t_prev = self.previous_timestep(timestep)
        abar_t = self._abar(timestep, sample)
        abar_prev = self._abar(t_prev, sample)
        x0 = model_output
        if t_prev == 0:
            return StepOutput(x0, x0)
        eps = (sample - abar_t.sqrt() * x0) / (1 - abar_t).sqrt()
        sigma = self.eta * ((1 - abar_prev) / (1 - abar_t) * (1 - abar_t / abar_prev)).clamp_min(0).sqrt()
        prev = abar_prev.sqrt() * x0 + (1 - abar_prev - sigma**2).clamp_min(0).sqrt() * eps
        if self.eta > 0:
            noise = torch.randn(sample.shape, generator=generator, device=sample.device, dtype=sample.dtype)
            prev = prev + sigma * noise
        return StepOutput(prev, x0)
