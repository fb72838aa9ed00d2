"""Staged rollouts: strategies, runs with a frozen plan, the pure engine that moves them, its driver."""
