"""The optimiser config the three training recipes share: same defaults as before it was shared, flat saved
configs (shipped bundles and run folders) still load, and the optimiser it names is the one built."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from vimo.errors import VimoError
from vimo.training.baseline import BaselineConfig
from vimo.training.dance import DanceConfig
from vimo.training.optim import OptimConfig, lr_at, optimizer_and_ema
from vimo.training.trainer import TrainConfig

WEIGHTS = Path(__file__).resolve().parents[2] / "weights"
SHARED = {"batch_size": 32, "optimizer": "adamw", "lr": 1e-3, "weight_decay": 0.02, "max_steps": 1_000_000,
          "max_minutes": None, "ema_decay": 0.999, "checkpoint_minutes": 5.0, "log_every": 20, "seed": 0}  # fmt: skip
# The defaults each recipe had when it repeated the fields itself.
OWN = {
    TrainConfig: {"warmup_steps": 300, "val_every": 1000, "val_windows": 12, "bf16": True},
    BaselineConfig: {"warmup_steps": 300, "val_every": 1000, "val_windows": 12, "bf16": False},
    DanceConfig: {"warmup_steps": 200, "val_every": 500, "val_windows": 16, "bf16": True},
}
BUNDLES = {"vimo-small": TrainConfig, "baseline-motionbert-small": BaselineConfig, "dance-small": DanceConfig}


@pytest.mark.parametrize("config", list(OWN), ids=lambda c: c.__name__)
def test_every_recipe_shares_the_optimiser_fields_with_their_old_defaults(config):
    assert issubclass(config, OptimConfig)
    saved = dataclasses.asdict(config())
    assert {k: saved[k] for k in SHARED} == SHARED
    assert {k: saved[k] for k in OWN[config]} == OWN[config]
    assert config.from_dict(json.loads(json.dumps(saved))) == config()  # a run's config.json round trip


@pytest.mark.parametrize("bundle", list(BUNDLES))
def test_shipped_bundles_training_configs_still_load(bundle):
    train = json.loads((WEIGHTS / f"{bundle}.json").read_text())["info"]["train_config"]
    cfg = BUNDLES[bundle].from_dict(train)
    assert dataclasses.asdict(cfg) == train  # every field read back as saved, none lost or added


def test_runs_saved_before_the_optimizer_choice_load_as_adan():
    old = {k: v for k, v in dataclasses.asdict(TrainConfig()).items() if k != "optimizer"}
    assert TrainConfig.from_dict(old).optimizer == "adan"
    assert BaselineConfig.from_dict({"lr": 4e-4}).optimizer == "adan"


def test_the_named_optimiser_is_built_with_the_configured_rate():
    model = torch.nn.Linear(3, 2)
    adamw, ema = optimizer_and_ema(model, OptimConfig(lr=5e-3, weight_decay=0.1))
    assert isinstance(adamw, torch.optim.AdamW) and adamw.defaults["lr"] == 5e-3
    assert adamw.defaults["weight_decay"] == 0.1 and set(ema) == {"weight", "bias"}
    with pytest.raises(VimoError, match="unknown optimizer 'sgd'"):
        optimizer_and_ema(model, OptimConfig(optimizer="sgd"))


def test_learning_rate_warms_up_linearly():
    cfg = OptimConfig(lr=1e-3, warmup_steps=4)
    assert [lr_at(cfg, s) for s in range(5)] == pytest.approx([2.5e-4, 5e-4, 7.5e-4, 1e-3, 1e-3])
