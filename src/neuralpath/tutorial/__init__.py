"""The tutorial's own listings, as it wrote them: the slow, faithful twin of the engine.

These functions keep the tutorial's shapes and habits on purpose: Python dicts keyed by
layer number 1..n, one sample at a time, loops where the text loops. Read them beside the
text; the engine (``neuralpath.network``) computes the same numbers, vectorised, and a test
proves it. One module per section of the text:

* ``section2``: the sigmoid plots of 2.1 and 2.3 (their data);
* ``section3``: the 3-3-1 example, ``simple_looped_nn_calc``, ``matrix_feed_forward_calc``
  and the timing of 3.3-3.5;
* ``section4``: the gradient-descent toy of 4.1, a two-dimensional descent (4.4) and the
  gradient of the example network by the chain rule, by 4.7's vectorised form and by
  central differences;
* ``section5``: the digits network of section 5, re-exported below.

``printed`` holds the numbers the text prints, ``figures`` draws its figures, and
``walkthrough`` is the ``neuralpath tutorial`` command that sets the two side by side.
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
