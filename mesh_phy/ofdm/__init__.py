"""OFDM framing of the 802.11a PPDU (IEEE 802.11a-1999, 17.3.2-17.3.4) and
the receiver's synchronisation and channel estimation, one job per module:

* :mod:`~mesh_phy.ofdm.training` — short and long training sequences (17.3.3)
* :mod:`~mesh_phy.ofdm.signal_field` — SIGNAL encode and checks (17.3.4)
* :mod:`~mesh_phy.ofdm.symbols` — subcarrier map, pilots and polarity,
  IFFT, cyclic prefix, windowing (17.3.2.4, 17.3.5.9)
* :mod:`~mesh_phy.ofdm.tones` — strong CW lines and DC removed before detection
* :mod:`~mesh_phy.ofdm.sync` — detection, CFO, timing
* :mod:`~mesh_phy.ofdm.equalizer` — channel estimate, smoothing, pilot tracking

:func:`mesh_phy.tx.ppdu` and :func:`mesh_phy.rx.receive` compose them.
"""
