"""The suite's scenarios; each returns the figures it adds to ``bench/results.json``."""
