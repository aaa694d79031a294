"""Fake network servers for tests: real HTTP on 127.0.0.1, bodies shaped like the real APIs.

`server.FakeServer` is the reusable base (routes, a request log, programmable faults); each
network's fake (`x.FakeX`, ...) registers that network's routes on one and keeps its state.
"""
