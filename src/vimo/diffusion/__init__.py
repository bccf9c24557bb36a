"""Noise schedules and schedulers. They never see a network, a skeleton or a dataset."""
