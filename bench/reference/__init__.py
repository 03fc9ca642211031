"""The raw reference stack the load generator measures the engine against."""
