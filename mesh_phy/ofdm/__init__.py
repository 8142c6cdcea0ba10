"""OFDM framing of the 802.11a PPDU (IEEE 802.11a-1999, 17.3.2-17.3.4):
training sequences, SIGNAL, pilots, IFFT, cyclic prefix and windowing, and
the receiver's synchronisation and channel estimation."""
