"""Benchmarks: speed and memory targets, measured as ratios against a baseline timed in the same
run (machines are noisy). Run ``python -m benchmarks [NAME ...]``; results go to
``benchmarks/results/<name>.json``. They never gate CI on a wall-clock number."""
