"""Sweep engine: the driver, its supervisor process and the reconciler."""
