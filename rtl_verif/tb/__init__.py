"""cocotb testbenches, one module per RTL block."""
