"""Pure geometry on tensors with any number of leading batch dimensions."""
