"""Channel models on complex baseband samples: AWGN, carrier and
sampling-clock offset, phase noise, multipath, air-to-ground drone links and
interference."""
