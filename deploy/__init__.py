"""How Fleetcast runs: the command line and the real local fleet toolkit."""
