"""One register description per block, in SystemRDL (``<block>.rdl`` here),
and the generators that make the CSR RTL, the testbench register model, the
firmware constants and C headers, and the register documentation from it
(``python -m rtl_verif.regs``; see generate.py for the list of outputs)."""
