from .base import Executor, TrialLaunch, TrialUpdate

__all__ = ["Executor", "TrialLaunch", "TrialUpdate"]
