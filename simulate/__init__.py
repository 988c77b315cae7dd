"""simulate: finite-size random-features experiments on CPU.

Gaussian-mixture samples, exact and Gaussian-equivalent feature matrices, semi-analytic and
explicit gradient-descent training, per-class losses and times, speciation outliers.
"""
