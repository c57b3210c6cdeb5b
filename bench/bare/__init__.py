"""The baseline for figure a: plain Django rendering the same rows, with nothing else."""
