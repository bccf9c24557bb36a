"""Camera-agnostic 2D fidelity now lives one layer down, in :mod:`vimo.fidelity` (generation scores its motions
with it); this name stays for the benchmarks that import it from here."""

from vimo.fidelity import Fidelity, fit_weak_perspective, reprojection_fidelity

__all__ = ["Fidelity", "fit_weak_perspective", "reprojection_fidelity"]
