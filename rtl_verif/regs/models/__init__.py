"""Generated register models, one module per SystemRDL file (``REGMAP``)."""
