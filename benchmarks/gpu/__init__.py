"""GPU runs: the protein pack trained and scored on a lent accelerator."""
