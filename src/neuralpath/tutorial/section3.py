"""Section 3, "The feed-forward pass": the 3-3-1 example, looped and vectorised, and timed.

``simple_looped_nn_calc`` (3.2) and ``matrix_feed_forward_calc`` (3.5) are the text's
listings. As in 3.2, ``w`` and ``b`` are Python lists with one array per layer (0-based:
``w[0]`` is the tutorial's W^(1)) and ``x`` may be a plain list. Both return only the last
layer's output; called with ``n_layers=2`` they stop after the first layer and return the
hidden outputs h^(2), which is how the hidden values of 3.2 are read here.

The timing of 3.3-3.5 measures both functions with ``timeit`` on the 3-3-1 example, a
four-layer network and a 100-100-50-10 network (``timing_networks``). The text does not
print the four-layer network; 3-3-3-1 is our reading of it: its 21 multiply-adds against
the 3-3-1 network's 12 match the text's 70 us against 40 us.
"""
import timeit

import numpy as np


def f(x):
    return 1 / (1 + np.exp(-x))


def example_network():
    """3.1-3.2: the example weights, biases and input, as the text sets them up.

    Returns ``(w, b, x)``: ``w = [w1, w2]`` and ``b = [b1, b2]`` are lists of arrays,
    ``x = [1.5, 2.0, 3.0]`` is a list.
    """
    w1 = np.array([[0.2, 0.2, 0.2], [0.4, 0.4, 0.4], [0.6, 0.6, 0.6]])
    w2 = np.zeros((1, 3))
    w2[0, :] = np.array([0.5, 0.5, 0.5])
    b1 = np.array([0.8, 0.8, 0.8])
    b2 = np.array([0.2])
    w = [w1, w2]
    b = [b1, b2]
    # a dummy x input vector
    x = [1.5, 2.0, 3.0]
    return w, b, x


def simple_looped_nn_calc(n_layers, x, w, b):
    for l in range(n_layers-1):
        # Setup the input array which the weights will be multiplied by for each layer
        # If it's the first layer, the input array will be the x input vector
        # If it's not the first layer, the input to the next layer will be the
        # output of the previous layer
        if l == 0:
            node_in = x
        else:
            node_in = h  # noqa: F821 (h is the previous pass of the loop's output)
        # Setup the output array for the nodes in layer l + 1
        h = np.zeros((w[l].shape[0],))
        # loop through the rows of the weight array
        for i in range(w[l].shape[0]):
            # setup the sum inside the activation function
            f_sum = 0
            # loop through the columns of the weight array
            for j in range(w[l].shape[1]):
                f_sum += w[l][i][j] * node_in[j]
            # add the bias
            f_sum += b[l][i]
            # finally use the activation function to calculate the
            # i-th output i.e. h1, h2, h3
            h[i] = f(f_sum)
    return h


def matrix_feed_forward_calc(n_layers, x, w, b):
    for l in range(n_layers-1):
        if l == 0:
            node_in = x
        else:
            node_in = h  # noqa: F821 (h is the previous pass of the loop's output)
        z = w[l].dot(node_in) + b[l]
        h = f(z)
    return h


def by_hand():
    """3.2's check "by manually performing the calculations in the original equations".

    Returns ``(h_1^(2), h_2^(2), h_3^(2), h_1^(3))``, each written out term by term.
    """
    h1 = f(0.2 * 1.5 + 0.2 * 2.0 + 0.2 * 3.0 + 0.8)
    h2 = f(0.4 * 1.5 + 0.4 * 2.0 + 0.4 * 3.0 + 0.8)
    h3 = f(0.6 * 1.5 + 0.6 * 2.0 + 0.6 * 3.0 + 0.8)
    out = f(0.5 * h1 + 0.5 * h2 + 0.5 * h3 + 0.2)
    return h1, h2, h3, out


def four_layer_network():
    """A 3-3-3-1 network: the example with a second hidden layer like its first."""
    w, b, x = example_network()
    return [w[0], w[0].copy(), w[1]], [b[0], b[0].copy(), b[1]], x


def random_network(sizes, rng):
    """Weights, biases (uniform [0, 1), as 5.4 draws them) and an input list for ``sizes``."""
    w = [rng.random((n_out, n_in)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    b = [rng.random(n_out) for n_out in sizes[1:]]
    x = rng.random(sizes[0]).tolist()
    return w, b, x


def timing_networks(seed=0):
    """The three networks of 3.3-3.5: [(name, n_layers, w, b, x)]."""
    w3, b3, x3 = example_network()
    w4, b4, x4 = four_layer_network()
    wl, bl, xl = random_network([100, 100, 50, 10], np.random.default_rng(seed))
    return [("3-3-1", 3, w3, b3, x3), ("3-3-3-1", 4, w4, b4, x4),
            ("100-100-50-10", 4, wl, bl, xl)]


def best_time(func, repeat=5, min_time=0.1):
    """Seconds per call of ``func()``: the best of ``repeat`` timeit runs.

    Like ``%timeit``, each run calls ``func`` ``number`` times, with ``number`` (1, 2, 5,
    10, 20, ...) grown until one run takes at least ``min_time`` seconds. The best run, not
    the mean, is the figure least disturbed by whatever else the machine is doing.
    """
    if not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be a positive integer, got {repeat!r}")
    if not min_time > 0:
        raise ValueError(f"min_time must be positive, got {min_time!r}")
    timer = timeit.Timer(func)
    number, scale = 1, 1
    while True:
        for step in (1, 2, 5):
            number = step * scale
            if timer.timeit(number) >= min_time:
                return min(timer.repeat(repeat=repeat, number=number)) / number
        scale *= 10


def time_feed_forward(repeat=5, min_time=0.1, seed=0):
    """3.3-3.5: looped against vectorised feed-forward on each network of ``timing_networks``.

    Returns ``[(name, looped_seconds, vectorised_seconds)]``, seconds per call.
    """
    rows = []
    for name, n_layers, w, b, x in timing_networks(seed):
        # each lambda is timed at once, inside this iteration, so the loop variables it reads
        # are this network's
        looped = best_time(lambda: simple_looped_nn_calc(n_layers, x, w, b),  # noqa: B023
                           repeat, min_time)
        vectorised = best_time(lambda: matrix_feed_forward_calc(n_layers, x, w, b),  # noqa: B023
                               repeat, min_time)
        rows.append((name, looped, vectorised))
    return rows
