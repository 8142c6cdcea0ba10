"""Package data of :mod:`mesh_phy`: ``per_awgn.csv``, the default PER table
(AWGN, full synchronisation, CFO uniform within ±100 kHz) that
``python -m mesh_phy.per --table`` writes and :func:`mesh_phy.per.load_table`
reads."""
