"""Likelihood terms built from ``likelihoods/*.yaml``; a term maps predictions (+ its own
nuisance parameters) to log L.  Terms never know about models or samplers."""
