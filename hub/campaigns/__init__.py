"""Fix campaigns: `fleetcast fix nginx --to 1.27.4` finds every application whose desired manifests use
the image below the version, makes one release per application through an image override, starts each
one's rollout under its strategy (or the one given), and follows the fleet until no cluster reports the
vulnerable version. `plan.py` and `progress.py` are pure; `service.py`, `monitor.py` and `api.py` the shell."""
