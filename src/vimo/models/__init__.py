"""Networks, each with its config dataclass."""
