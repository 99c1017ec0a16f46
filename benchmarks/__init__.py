"""Measurements that need a running app: the slider latency in a real browser and a classroom load."""
