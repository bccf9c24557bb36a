"""Training data: mocap import and retargeting, windowing, virtual markers and the casual-camera simulator."""
