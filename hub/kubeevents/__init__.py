"""Kubernetes Events of managed objects at the hub: consumed from the events topic, kept bounded, listed
by `fleetcast events` and shown by `fleetcast describe`."""
