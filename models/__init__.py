"""Retrofit cost models: what it costs, and how long it takes, to turn a mining site into an AI
data center (cooling, power and redundancy, networking, shell, schedule, calibration)."""
