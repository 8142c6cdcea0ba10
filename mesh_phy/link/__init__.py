"""Link-level runners: one transmit → channel → receive loop shared by the BER and PER sweeps."""
