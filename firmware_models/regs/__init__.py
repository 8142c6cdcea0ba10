# Register offsets and field masks of the SoC's blocks, generated from their
# SystemRDL descriptions (rtl_verif/regs/*.rdl) by `python -m rtl_verif.regs`.
