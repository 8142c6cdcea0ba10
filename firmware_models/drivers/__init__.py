# Drivers for the SoC's RTL blocks, for MicroPython and CPython alike: each
# takes a bus object with `async read32(addr)` and `async write32(addr, value)`
# (see bus.py) and the block's base address.
