from dataclasses import replace

import numpy as np
import pytest
from tests.conftest import require_shared

from vimo.data.synthetic import random_motion, walking_motion
from vimo.skeleton import CONTACT_JOINTS
from vimo.trajectory import TrajectoryConfig, travelled_distance, world_trajectory


def _on_the_spot(motion):
    """The same body motion with the root's horizontal travel removed (a runner on a treadmill)."""
    root = motion.root_position.copy()
    root[:, [0, 2]] = root[0, [0, 2]]
    return replace(motion, root_position=root)


CONTACTS_ONLY = TrajectoryConfig(planted_height=-1.0)  # the procedural walk's feet scrape the floor in swing


def test_planted_feet_bring_back_the_travel_of_a_walk():
    walk = walking_motion(300)
    derived = world_trajectory(_on_the_spot(walk), CONTACTS_ONLY)
    assert travelled_distance(_on_the_spot(walk).root_position) == 0.0
    assert travelled_distance(derived.root_position) == pytest.approx(travelled_distance(walk.root_position), rel=0.05)
    # Same direction of travel, first frame and heights kept, body untouched.
    np.testing.assert_allclose(derived.root_position[0], walk.root_position[0], atol=1e-6)
    np.testing.assert_allclose(derived.root_position[:, 1], walk.root_position[:, 1])
    heading = derived.root_position[-1] - derived.root_position[0]
    assert heading[2] > 0.95 * np.linalg.norm(heading)
    np.testing.assert_array_equal(derived.rotations, walk.rotations)


def test_planted_feet_stay_planted():
    on_the_spot = _on_the_spot(walking_motion(200))
    derived = world_trajectory(on_the_spot, CONTACTS_ONLY)

    def planted_foot_speed(motion):
        feet = motion.joints()[:, list(CONTACT_JOINTS)][..., [0, 2]]
        planted = (motion.contacts[1:] > 0.5) & (motion.contacts[:-1] > 0.5)
        return np.median(np.linalg.norm(np.diff(feet, axis=0), axis=-1)[planted]) * motion.fps

    assert planted_foot_speed(on_the_spot) > 1.0  # m/s: on the spot, the stance foot slides backwards
    assert planted_foot_speed(derived) < 0.1


def test_no_contacts_leaves_the_root_alone():
    airborne = random_motion(60)
    airborne = replace(airborne, contacts=np.zeros((60, 4), dtype=np.float32))
    assert world_trajectory(airborne, CONTACTS_ONLY) is airborne


@pytest.mark.shared
@pytest.mark.parametrize("take", ["02_01", "02_03", "07_01", "09_01"])  # walk, run/jog, walk, run (CMU)
def test_real_walks_and_runs_travel_their_distance(take):
    from vimo.data.mocap import load_motion

    path = require_shared() / "atelier_01-09" / take[:2] / f"{take}.bvh.gz"
    truth = load_motion(require_shared(path)).with_contacts()
    derived = world_trajectory(_on_the_spot(truth))
    ratio = travelled_distance(derived.root_position) / travelled_distance(truth.root_position)
    assert 0.85 <= ratio <= 1.15, f"{take}: travelled {ratio:.2f} x the truth's distance"
