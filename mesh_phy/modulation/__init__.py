"""Constellation mapping (17.3.5.7, BPSK…64-QAM, Gray) and max-log soft demapping."""
