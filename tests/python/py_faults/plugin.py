"""A Python regularizer that fails on purpose, one way per step, for
tests/integration/authoring.rs: what a user sees when Python code goes wrong inside the
sandbox (step 0 prints and succeeds)."""

import os
import sys
import time

from clora_plugin import regularizer, tensor


class Faults:
    NAME = "py-faults"
    DESCRIPTION = "Fails on purpose: step 1 raises, 2 opens a file, 3 reads the clock, 4 draws OS randomness, 5 misuses a tensor."
    PARAMS = []

    def __init__(self, params, layers):
        print(f"init: {len(layers)} layers")

    def compute_penalty(self, step, a, b):
        print("step", step, file=sys.stderr)
        if step == 1:
            return 1 / 0
        if step == 2:
            open("/etc/hostname")
        if step == 3:
            time.time()
        if step == 4:
            os.urandom(8)
        if step == 5:
            return a[0].matmul(a[0])
        return tensor.sum_all([tensor.sq_sum(t) for t in a + b])


Regularizer = regularizer(Faults)
