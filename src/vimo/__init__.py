"""ViMo: plausible 3D character motion from casual videos.

Layers (a module imports only from the layers below it) and the data path of ``vimo run``: ARCHITECTURE.md;
checked by tests/test_architecture.py.
"""

__version__ = "0.1.0"
