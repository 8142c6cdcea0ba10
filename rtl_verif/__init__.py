"""RTL blocks of the digital parts, their cocotb testbenches and the runner
that builds and runs them on Icarus and Verilator (``python -m rtl_verif``)."""
