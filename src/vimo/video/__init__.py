"""Video: frame reading and writing, 2D pose backends, person selection, keypoint cleaning."""
