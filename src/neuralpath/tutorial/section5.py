"""Section 5, "Implementing the neural network in Python", listing by listing.

Differences from the printed text, each for a reason:

* ``setup_and_init_weights`` takes an optional ``numpy.random.Generator``; the tutorial calls
  ``numpy.random.random_sample``, numpy's global state, which gives the same uniform [0, 1)
  draws but cannot be seeded per call.
* ``train_nn``: the printed listing lost its indentation. As printed, the gradient-descent
  step and the cost bookkeeping sit inside the ``for i in range(len(y))`` sample loop (so the
  weights move after every sample and ``cnt`` counts samples), and the two ``tri_W``/``tri_b``
  lines sit under ``if l > 1`` (so layer 1 never accumulates a gradient and W[1] never
  learns). The original code, which this reproduces, accumulates every layer for every
  sample and makes one update per iteration, after all m samples: the algorithm of 4.9.
* ``train_nn`` also takes optional starting weights ``W0, b0`` (copied, not changed) and a
  ``verbose`` switch for its progress lines, so a test can start it from the engine's weights.
* ``f`` is the sigmoid as printed, ``1 / (1 + exp(-x))``. It overflows (with a warning) for
  x below about -709; the engine uses a stable form. The digits never get there.
"""
import numpy as np


def convert_y_to_vect(y):
    # 5.3: label -> one-hot row of 10
    y_vect = np.zeros((len(y), 10))
    for i in range(len(y)):
        y_vect[i, y[i]] = 1
    return y_vect


def f(x):
    return 1 / (1 + np.exp(-x))


def f_deriv(x):
    return f(x) * (1 - f(x))


def setup_and_init_weights(nn_structure, rng=None):
    random_sample = np.random.random_sample if rng is None else rng.random
    W = {}
    b = {}
    for l in range(1, len(nn_structure)):
        W[l] = random_sample((nn_structure[l], nn_structure[l-1]))
        b[l] = random_sample((nn_structure[l],))
    return W, b


def init_tri_values(nn_structure):
    tri_W = {}
    tri_b = {}
    for l in range(1, len(nn_structure)):
        tri_W[l] = np.zeros((nn_structure[l], nn_structure[l-1]))
        tri_b[l] = np.zeros((nn_structure[l],))
    return tri_W, tri_b


def feed_forward(x, W, b):
    h = {1: x}
    z = {}
    for l in range(1, len(W) + 1):
        # if it is the first layer, then the input into the weights is x, otherwise,
        # it is the output from the last layer
        if l == 1:
            node_in = x
        else:
            node_in = h[l]
        z[l+1] = W[l].dot(node_in) + b[l]  # z^(l+1) = W^(l)*h^(l) + b^(l)
        h[l+1] = f(z[l+1])  # h^(l) = f(z^(l))
    return h, z


def calculate_out_layer_delta(y, h_out, z_out):
    # delta^(nl) = -(y_i - h_i^(nl)) * f'(z_i^(nl))
    return -(y-h_out) * f_deriv(z_out)


def calculate_hidden_delta(delta_plus_1, w_l, z_l):
    # delta^(l) = (transpose(W^(l)) * delta^(l+1)) * f'(z^(l))
    return np.dot(np.transpose(w_l), delta_plus_1) * f_deriv(z_l)


def train_nn(nn_structure, X, y, iter_num=3000, alpha=0.25, W0=None, b0=None, rng=None,
             verbose=True):
    """Full-batch gradient descent, one sample at a time (tutorial 5.4).

    Returns ``W, b, avg_cost_func``. Note that ``avg_cost_func`` holds the listing's own
    quantity, (1/m) * sum over samples of ||y - h|| (a mean of norms, not squared and not
    halved): it is *not* the cost J = (1/m) sum 1/2 ||y - h||^2 of section 4.2, which the
    engine's History records. Both fall as training goes on; their values differ.
    """
    if W0 is None:
        W, b = setup_and_init_weights(nn_structure, rng)
    else:
        W = {l: w.copy() for l, w in W0.items()}
        b = {l: v.copy() for l, v in b0.items()}
    cnt = 0
    m = len(y)
    avg_cost_func = []
    if verbose:
        print('Starting gradient descent for {} iterations'.format(iter_num))
    while cnt < iter_num:
        if verbose and cnt % 1000 == 0:
            print('Iteration {} of {}'.format(cnt, iter_num))
        tri_W, tri_b = init_tri_values(nn_structure)
        avg_cost = 0
        for i in range(len(y)):
            delta = {}
            # perform the feed forward pass and return the stored h and z values, to be used in the
            # gradient descent step
            h, z = feed_forward(X[i, :], W, b)
            # loop from nl-1 to 1 backpropagating the errors
            for l in range(len(nn_structure), 0, -1):
                if l == len(nn_structure):
                    delta[l] = calculate_out_layer_delta(y[i, :], h[l], z[l])
                    avg_cost += np.linalg.norm((y[i, :]-h[l]))
                else:
                    if l > 1:
                        delta[l] = calculate_hidden_delta(delta[l+1], W[l], z[l])
                    # the printed text has these two lines under `if l > 1`; the original
                    # runs them for every layer l < nl, so layer 1 accumulates too
                    # triW^(l) = triW^(l) + delta^(l+1) * transpose(h^(l))
                    tri_W[l] += np.dot(delta[l+1][:, np.newaxis], np.transpose(h[l][:, np.newaxis]))
                    # trib^(l) = trib^(l) + delta^(l+1)
                    tri_b[l] += delta[l+1]
        # the printed text indents everything below into the sample loop; the original makes
        # one gradient descent step per iteration, after all m samples (tutorial 4.9, step 3)
        # perform the gradient descent step for the weights in each layer
        for l in range(len(nn_structure) - 1, 0, -1):
            W[l] += -alpha * (1.0/m * tri_W[l])
            b[l] += -alpha * (1.0/m * tri_b[l])
        # complete the average cost calculation
        avg_cost = 1.0/m * avg_cost
        avg_cost_func.append(avg_cost)
        cnt += 1
    return W, b, avg_cost_func


def predict_y(W, b, X, n_layers):
    # 5.5 (the part the text lost): the predicted digit is the index of the largest output
    m = X.shape[0]
    y = np.zeros((m,))
    for i in range(m):
        h, z = feed_forward(X[i, :], W, b)
        y[i] = np.argmax(h[n_layers])
    return y
