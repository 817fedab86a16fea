"""Pure JAX physics: f(coefficients, parameters, kinematics) -> prediction.

Nothing in this package knows about likelihoods, samplers or files.
"""
