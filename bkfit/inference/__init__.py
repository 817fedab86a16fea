"""Inference: one numpyro model assembled from model + priors + likelihood terms; NUTS;
evidence estimators; InferenceData in and out."""
