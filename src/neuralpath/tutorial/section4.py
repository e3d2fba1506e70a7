"""Section 4, "Gradient descent and optimisation": the toy of 4.1, a bowl for 4.4, and the
gradient of the 3-3-1 example three ways (4.5-4.8).

* ``gradient_descent_toy`` is 4.1's listing (f(x) = x^4 - 3x^3 + 2 from x = 6), returning
  the minimum it reaches and every iterate, so they can be drawn over the curve.
* ``bowl_descent`` is a two-dimensional descent like figure 9: the long bowl
  J(x1, x2) = 0.7 x1^2 + 0.175 x2^2 is chosen so that the gradient at p1 = (1.5, 2.0) is
  the text's example [2.1, 0.7]; the text draws its figure without giving its function.
  The step alpha = 1.2 is long enough across the bowl that each step overshoots the valley
  floor, the zig-zag of figure 9, while it still closes in on the minimum.
* The gradient of J = 1/2 ||y - h||^2 with respect to every weight and bias of a network
  (lists ``w``, ``b`` as in section 3): ``chain_rule_gradient`` one weight at a time with the
  scalar chain rule of 4.5-4.6, ``vectorised_gradient`` with 4.7's matrix form (built from
  section 5's own ``feed_forward`` and delta functions), ``numerical_gradient`` by central
  differences. ``gradient_table`` sets the three side by side.

The text does not give a target for the 3-3-1 example; ``EXAMPLE_TARGET`` (y = 1) is ours.
"""
import numpy as np

from . import section5
from .section3 import f, matrix_feed_forward_calc

EXAMPLE_TARGET = [1.0]


def gradient_descent_toy(x_start=6, gamma=0.01, precision=0.00001, max_iter=100_000):
    """4.1: gradient descent on f(x) = x^4 - 3x^3 + 2; returns ``(x_new, iterates)``.

    ``iterates`` holds x_start and every x_new after it. ``max_iter`` is ours: a step size
    too large makes the listing's loop run away, so it stops there with a ValueError.
    """
    x_old = 0  # The value does not matter as long as abs(x_new - x_old) > precision
    x_new = x_start  # The algorithm starts at x=6
    iterates = [x_new]

    def df(x):
        y = 4 * x**3 - 9 * x**2
        return y

    while abs(x_new - x_old) > precision:
        if len(iterates) > max_iter:
            raise ValueError(f"gradient descent did not converge in {max_iter} steps "
                             f"(gamma={gamma!r}); try a smaller gamma")
        x_old = x_new
        try:
            x_new += -gamma * df(x_old)
        except OverflowError:
            raise ValueError(f"gradient descent ran away from the minimum "
                             f"(gamma={gamma!r}); try a smaller gamma") from None
        iterates.append(x_new)
    return x_new, iterates


def toy_function(x):
    """4.1's f(x) = x^4 - 3x^3 + 2 (works on arrays)."""
    return x**4 - 3 * x**3 + 2


def bowl(x1, x2):
    """The cost surface of the 4.4 example: J(x1, x2) = 0.7 x1^2 + 0.175 x2^2, minimum at 0."""
    return 0.7 * x1**2 + 0.175 * x2**2


def bowl_gradient(p):
    """[dJ/dx1, dJ/dx2] = [1.4 x1, 0.35 x2]."""
    return np.array([1.4 * p[0], 0.35 * p[1]])


def bowl_descent(start=(1.5, 2.0), alpha=1.2, steps=3):
    """4.4: ``steps`` gradient-descent steps on ``bowl`` from ``start``.

    Returns ``(points, gradients)``: points p1 .. p_{steps+1}, (steps+1, 2), and the gradient
    at each, (steps+1, 2). With the defaults, the gradient at p1 is [2.1, 0.7].
    """
    points = [np.asarray(start, dtype=float)]
    for _ in range(steps):
        points.append(points[-1] - alpha * bowl_gradient(points[-1]))  # p - alpha grad J
    points = np.array(points)
    return points, np.array([bowl_gradient(p) for p in points])


def cost(w, b, x, y):
    """J(w, b, x, y) = 1/2 ||y - h^(n_l)||^2 for one sample (4.2)."""
    h = matrix_feed_forward_calc(len(w) + 1, x, w, b)
    return 0.5 * float(np.sum((np.asarray(y) - h) ** 2))


def chain_rule_gradient(w, b, x, y):
    """dJ/dw_ij^(l) and dJ/db_i^(l), one weight at a time, by 4.5-4.6's scalar chain rule.

    Returns ``(grad_w, grad_b)``, lists shaped like ``w`` and ``b``. Nothing is vectorised:
    each derivative is a product of scalars, the way the text derives dJ/dw_12^(2).
    Index ``l`` here is 0-based: w[l] is the tutorial's W^(l+1).
    """
    n = len(w)
    # the forward pass, node by node, keeping every z and h (h[0] is the input x)
    h, z = [[float(v) for v in x]], [None]
    for l in range(n):
        z.append([sum(w[l][i][j] * h[l][j] for j in range(w[l].shape[1])) + b[l][i]
                  for i in range(w[l].shape[0])])
        h.append([f(v) for v in z[l + 1]])

    def dh_dz(l, i):
        # 4.5: dh/dz = f'(z) = f(z)(1 - f(z))
        return f(z[l][i]) * (1 - f(z[l][i]))

    def dJ_dz(l, i):
        """delta_i of layer l: how J changes with z_i of that layer."""
        if l == n:
            # 4.5: J = 1/2 u^2 with u = ||y_i - h_i||, so dJ/dh = -(y_i - h_i)
            dJ_dh = -(y[i] - h[n][i])
            return dJ_dh * dh_dz(l, i)
        # 4.6: node i of a hidden layer reaches J through every node k of the next layer,
        # by the weight w_ki; the errors passed back are summed
        return sum(w[l][k][i] * dJ_dz(l + 1, k) for k in range(w[l].shape[0])) * dh_dz(l, i)

    grad_w = [np.zeros(W.shape) for W in w]
    grad_b = [np.zeros(len(v)) for v in b]
    for l in range(n):
        for i in range(w[l].shape[0]):
            for j in range(w[l].shape[1]):
                dz_dw = h[l][j]  # 4.5: dz_i/dw_ij = h_j, the one term holding w_ij
                grad_w[l][i, j] = dJ_dz(l + 1, i) * dz_dw
            grad_b[l][i] = dJ_dz(l + 1, i) * 1.0  # dz_i/db_i = 1 (4.6)
    return grad_w, grad_b


def vectorised_gradient(w, b, x, y):
    """The same gradient in 4.7's matrix form, with section 5's functions.

    delta^(n_l) = -(y - h) * f'(z), delta^(l) = (W^(l)T delta^(l+1)) * f'(z^(l)),
    dJ/dW^(l) = delta^(l+1) (h^(l))^T and dJ/db^(l) = delta^(l+1).
    """
    n_layers = len(w) + 1
    W = {l + 1: np.asarray(v, dtype=float) for l, v in enumerate(w)}  # keyed 1..n as in 5.4
    B = {l + 1: np.asarray(v, dtype=float) for l, v in enumerate(b)}
    h, z = section5.feed_forward(np.asarray(x, dtype=float), W, B)
    delta = {n_layers: section5.calculate_out_layer_delta(np.asarray(y, dtype=float),
                                                          h[n_layers], z[n_layers])}
    for l in range(n_layers - 1, 1, -1):
        delta[l] = section5.calculate_hidden_delta(delta[l + 1], W[l], z[l])
    grad_w = [np.dot(delta[l + 1][:, np.newaxis], np.transpose(h[l][:, np.newaxis]))
              for l in range(1, n_layers)]
    grad_b = [delta[l + 1].copy() for l in range(1, n_layers)]
    return grad_w, grad_b


def numerical_gradient(w, b, x, y, eps=1e-5):
    """Central differences: (J(theta + eps) - J(theta - eps)) / (2 eps) for each parameter.

    Independent of any derivative formula; its error is of order eps^2 (truncation) plus
    1e-16 / eps (rounding), about 1e-11 here.
    """
    w = [np.array(v, dtype=float) for v in w]
    b = [np.array(v, dtype=float) for v in b]
    grads = []
    for params in (w, b):
        grads.append([])
        for p in params:
            g = np.zeros(p.shape)
            for idx in np.ndindex(p.shape):
                keep = p[idx]
                p[idx] = keep + eps
                up = cost(w, b, x, y)
                p[idx] = keep - eps
                down = cost(w, b, x, y)
                p[idx] = keep
                g[idx] = (up - down) / (2 * eps)
            grads[-1].append(g)
    return grads[0], grads[1]


def parameter_names(w, b):
    """The tutorial's names, 1-based: w_11^(1) .. and b_1^(1) .., in the order of ``flatten``."""
    names = []
    for l, W in enumerate(w):
        names += [f"w_{i + 1}{j + 1}^({l + 1})" for i, j in np.ndindex(W.shape)]
    for l, v in enumerate(b):
        names += [f"b_{i + 1}^({l + 1})" for i in range(len(v))]
    return names


def flatten(grad_w, grad_b):
    """Every weight gradient then every bias gradient as one vector."""
    return np.concatenate([np.ravel(g) for g in grad_w] + [np.ravel(g) for g in grad_b])


def gradient_table(w, b, x, y):
    """The three gradients side by side: ``(names, chain, vectorised, numerical)``."""
    return (parameter_names(w, b), flatten(*chain_rule_gradient(w, b, x, y)),
            flatten(*vectorised_gradient(w, b, x, y)), flatten(*numerical_gradient(w, b, x, y)))
