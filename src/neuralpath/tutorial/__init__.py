"""The tutorial's own listings, as it wrote them: the slow, faithful twin of the engine.

These functions keep the tutorial's shapes and habits on purpose: Python dicts keyed by
layer number 1..n, one sample at a time, loops where the text loops. Read them beside the
text; the engine (``neuralpath.network``) computes the same numbers, vectorised, and a test
proves it. ``section5`` holds the listings of section 5 (the digits network).
"""
from .section5 import (  # noqa: F401
    calculate_hidden_delta,
    calculate_out_layer_delta,
    convert_y_to_vect,
    f,
    f_deriv,
    feed_forward,
    init_tri_values,
    predict_y,
    setup_and_init_weights,
    train_nn,
)
