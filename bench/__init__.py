"""Load benchmark of the service beside three reference servers; run it with `python -m bench --help`."""
