"""Channel coding of the 802.11a bit chain: scrambler (17.3.5.4), CRC-32 FCS,
the K=7 convolutional code with puncturing (17.3.5.5) and its fixed-point
Viterbi decoder, and the two-permutation interleaver (17.3.5.6)."""
