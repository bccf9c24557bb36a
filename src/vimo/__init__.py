"""ViMo: plausible 3D character motion from casual videos.

Layering (lower never imports higher): skeleton -> geometry -> motion/representation -> io, data ->
models, diffusion -> training, pipeline -> eval, apps -> cli.
"""

__version__ = "0.1.0"
