"""Model bundles: kinds, the kind -> class registry, loading any bundle as its class, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from vimo.bundle import GENERATORS, bundle_kind, generator_class, load_generator, read_bundle, write_bundle
from vimo.dance import DanceModel, Music
from vimo.errors import VimoError
from vimo.generation import GenerationConfig, MotionGenerator, generate_any
from vimo.keypoints import Keypoints2D
from vimo.lifter import Lifter
from vimo.models.denoiser import CONFIGS, Denoiser, DenoiserConfig
from vimo.models.motionbert import CONFIGS as LIFTER_CONFIGS
from vimo.models.motionbert import DSTformer
from vimo.music.features import FEATURE_DIM
from vimo.pipeline import ViMo
from vimo.representation import DIM, Normalizer


def _normalizer() -> Normalizer:
    return Normalizer(torch.linspace(-1, 1, DIM), torch.linspace(0.5, 2, DIM))


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict:
    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("bundles")
    dance_cfg = DenoiserConfig(**{**CONFIGS["tiny"].to_dict(), "cond_dim": FEATURE_DIM})
    models = {
        "vimo": ViMo(Denoiser(CONFIGS["tiny"]).eval(), _normalizer()),
        "lifter": Lifter(DSTformer(LIFTER_CONFIGS["tiny"]).eval(), _normalizer()),
        "dance": DanceModel(
            Denoiser(dance_cfg).eval(), _normalizer(), torch.zeros(FEATURE_DIM), torch.ones(FEATURE_DIM)
        ),
    }
    for kind, model in models.items():
        model.save(root / kind)
    return {kind: root / kind for kind in models}


def test_every_registered_kind_names_a_motion_generator_of_that_kind():
    assert set(GENERATORS) == {"vimo", "lifter", "dance"}
    for kind in GENERATORS:
        cls = generator_class(kind)
        assert cls.KIND == kind
        for method in ("load", "save", "generate"):
            assert callable(getattr(cls, method))


@pytest.mark.parametrize("kind, cls", [("vimo", ViMo), ("lifter", Lifter), ("dance", DanceModel)])
def test_load_generator_dispatches_on_the_recorded_kind(bundles, kind, cls):
    assert bundle_kind(bundles[kind]) == kind
    model = load_generator(bundles[kind])
    assert type(model) is cls and isinstance(model, MotionGenerator)
    assert torch.equal(model.normalizer.mean, _normalizer().mean)


def test_a_bundle_without_a_kind_is_a_vimo_bundle(bundles, tmp_path):
    cfg = json.loads(bundles["vimo"].with_suffix(".json").read_text())
    del cfg["kind"]
    prefix = tmp_path / "old"
    prefix.with_suffix(".json").write_text(json.dumps(cfg))
    prefix.with_suffix(".safetensors").write_bytes(bundles["vimo"].with_suffix(".safetensors").read_bytes())
    assert type(load_generator(prefix)) is ViMo


def test_an_unknown_kind_is_a_one_line_error_naming_the_file_and_the_kinds(bundles, tmp_path):
    cfg = json.loads(bundles["vimo"].with_suffix(".json").read_text())
    prefix = tmp_path / "future"
    prefix.with_suffix(".json").write_text(json.dumps({**cfg, "kind": "teleporter"}))
    with pytest.raises(VimoError) as err:
        load_generator(prefix)
    msg = str(err.value)
    assert "\n" not in msg and "future.json" in msg and "'teleporter'" in msg and "vimo, lifter, dance" in msg


def test_reading_one_kind_as_another_says_which_class_loads_it(bundles):
    with pytest.raises(VimoError, match=r"holds a 'lifter' model, expected 'vimo'; load it with vimo\.lifter\.Lifter"):
        ViMo.load(bundles["lifter"])


def test_missing_files_and_unreadable_configs_are_one_line_errors(tmp_path):
    with pytest.raises(VimoError, match="model weights not found"):
        read_bundle(tmp_path / "nothing", "vimo")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(VimoError, match="bad.json: not a readable bundle config"):
        load_generator(tmp_path / "bad")


def test_write_then_read_round_trips_weights_normaliser_and_settings(tmp_path):
    model = torch.nn.Linear(3, 2)
    write_bundle(tmp_path / "b", "vimo", model, _normalizer(), {"model": {"x": 1}, "guidance": 1.5})
    files = read_bundle(tmp_path / "b", "vimo")
    assert files.config == {"kind": "vimo", "model": {"x": 1}, "guidance": 1.5}
    assert all(torch.equal(files.model_state[k], v) for k, v in model.state_dict().items())
    assert torch.equal(files.normalizer.std, _normalizer().std)


@pytest.mark.parametrize("kind", ["vimo", "lifter", "dance"])
def test_every_kind_generates_through_the_one_interface(bundles, kind):
    """Load any bundle by its kind, hand it its inputs, get a Generated: no caller needs to know the class."""
    rng = np.random.default_rng(0)
    xy = rng.uniform(100, 400, (40, 17, 2))
    keypoints = Keypoints2D(np.concatenate([xy, np.ones((40, 17, 1))], -1).astype(np.float32), 30.0, (640, 480))
    inputs = {"vimo": keypoints, "lifter": keypoints, "dance": Music(rng.normal(size=(40, FEATURE_DIM)), 40)}
    calls = []
    config = GenerationConfig(steps=2, foot_lock=True)
    out = generate_any(load_generator(bundles[kind]), inputs[kind], config, lambda d, t: calls.append((d, t)))
    assert [m.num_frames for m in out.motions] == [40] and len(out.foot_skate) == 1
    assert len(out.fidelity) == (0 if kind == "dance" else 1) and out.best == 0
    assert calls and calls[-1][0] == calls[-1][1]  # progress reaches its total
