"""Losses (pure, weights named in config) and the trainer."""
