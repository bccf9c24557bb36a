"""The paper's applications: dataset building, dance stylization, video-guided motion completion."""
