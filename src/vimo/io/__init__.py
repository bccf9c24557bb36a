"""File formats: one module per format (BVH, SMPL-style npz, keypoint JSON flavours)."""
