"""Drawing: every picture and preview video ViMo makes. No module sets matplotlib's backend or uses pyplot.

Modules, by what they draw:

- ``cameras``: per-frame pinhole cameras for the renderer (``CameraPath``: static, overview, follow);
- ``mannequin``: the figure (capsules between SMPL joints, a head) and its colours;
- ``scene``: the renderer (ray caster, or rasteriser for previews) of figures over a floor;
- ``video``: a motion filmed to a video, the ``vimo run`` side-by-side preview, kept/generated previews;
- ``keypoints``: 2D COCO keypoints on an image; ``text``: labels on images;
- ``camera_preview``: the casual-camera simulator next to the 3D truth (``vimo data preview-camera``);
- ``tracks``: the person tracks of a video;
- ``skeleton``, ``contact_sheet``: matplotlib pictures of poses (``vimo demo``, dataset contact sheets);
- ``plots``: line plots of metrics against a swept setting (the robustness report's figures).
"""
