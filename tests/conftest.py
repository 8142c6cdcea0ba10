import os
import random

import pytest


@pytest.fixture
def rng():
    """A seeded numpy Generator; SEED=<int> reproduces a run, the seed is printed on failure."""
    import numpy as np

    seed = int(os.environ.get("SEED") or random.randrange(2**32))
    print(f"random seed: {seed} (rerun with SEED={seed})")
    return np.random.default_rng(seed)
