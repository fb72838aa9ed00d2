"""Drift at the hub: applications' drift policies, the drift index kept from status reports, and the
fleet-wide drift list."""
