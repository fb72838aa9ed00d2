"""`fleetcast describe APP --cluster C`: one application on one cluster, object by object."""
