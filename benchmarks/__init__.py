"""``make bench``: throughput of our models against a peer run in the same process."""
