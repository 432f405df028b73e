"""Calibration of the region models: sourced targets, simulated moments, the fit, its files.

``targets`` derives each region's targets from the sourced rows; ``moments`` measures the
same quantities in simulated runs; ``fit`` minimises the weighted distance between them
(method of simulated moments); ``store`` reads and writes calibration/regions/CODE.toml;
``validation`` checks the fitted models against the stylised facts and forecasts.
"""
