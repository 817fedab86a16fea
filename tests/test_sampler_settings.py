"""NUTS settings of bkfit.inference.nuts checked against numpyro's own semantics."""
import numpy as np


def _warmup_then_sample(max_tree_depth_warmup):
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist

    from bkfit.inference.nuts import SamplerSettings, build_chunk, build_kernel, init_states

    scales = jnp.logspace(-2, 2, 20)      # badly scaled for the identity mass matrix

    def model():
        numpyro.sample("x", dist.Normal(0.0, scales))

    s = SamplerSettings(chains=1, num_warmup=40, num_samples=40, seed=3,
                        chain_method="sequential", max_tree_depth=10,
                        max_tree_depth_warmup=max_tree_depth_warmup)
    kernel = build_kernel(model, s)
    state = init_states(kernel, s)
    chunk = build_chunk(kernel, 40, "sequential")
    state, (_, warm) = chunk(state)
    state, (_, post) = chunk(state)
    return np.asarray(warm["num_steps"]), np.asarray(post["num_steps"])


def test_warmup_tree_depth_cap_bounds_warmup_trees_only():
    # a tree of depth d has at most 2**d - 1 leapfrog steps (numpyro's build_tree)
    warm, post = _warmup_then_sample(2)
    assert warm.max() <= 3
    assert post.max() > 3             # the sampling phase has the full depth again
    # the control: without the cap the same warm-up builds deeper trees
    warm_free, _ = _warmup_then_sample(None)
    assert warm_free.max() > 3
