"""The network: layer sizes, weights W[l] and biases b[l], feed-forward and backpropagation.

Notation follows the tutorial (sections 2.5, 3.4, 4.5-4.8): ``W[l]`` has shape
(s_{l+1}, s_l), so ``W[l][i, j]`` is w_ij, the weight from node j of one layer to node i of
the next. A batch holds one sample per row, so tutorial 3.4's z = W h + b becomes
``Z = H @ W.T + b`` for all m samples at once, and the engine never loops over samples.

Indexing: the tutorial numbers layers from 1 (h^(1) = x, W^(1) feeds layer 2); the lists
here are 0-based. ``W[l]`` is the tutorial's W^(l+1), ``h[l]`` is h^(l+1) with ``h[0] = x``,
``z[l]`` is z^(l+1) (``z[0]`` is unused), so ``z[l+1] = h[l] @ W[l].T + b[l]``.

The input X may be a scipy sparse matrix: only the first layer touches it, through
``X @ W.T`` and ``X.T @ delta``, so it is never made dense (and scipy is never imported here).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .activations import DEFAULT_OUTPUT, HIDDEN_ACTIVATIONS, get_activation
from .buffers import Workspace, packed, weight_orders
from .checks import Choice
from .costs import get_cost
from .initializers import get_initializer

PREDICT_CHUNK = 8192  # rows of a row source fed forward at once


def is_row_source(X: Any) -> bool:
    """Whether X is a row source: rows made when they are taken (``take_rows(rows, out)``)
    rather than an array (``data.ImageRows``: images kept as stored, scaled per batch)."""
    return hasattr(X, "take_rows") and not isinstance(X, np.ndarray)


def _is_sparse(X) -> bool:
    # a scipy sparse matrix or array, known by its methods: the engine does not import scipy
    return hasattr(X, "tocsr") and not isinstance(X, np.ndarray)


def _weight_gradient(delta: np.ndarray, h: Any, out: np.ndarray) -> np.ndarray:
    """out = delta^T h, (s_{l+1}, s_l): tutorial 4.8's sum over samples of delta h^T.

    Written in out's own memory order: when W[l] is the transpose of a C array (the
    estimator's coefs_[l]), out is too, and h^T delta goes into out.T, which is C-ordered,
    so the product stays one BLAS call. A sparse h (the input) gives (X^T delta)^T.
    """
    if _is_sparse(h):
        np.copyto(out.T, h.T @ delta)  # (s_l, s_{l+1}) from scipy, X stays sparse
    elif out.flags.c_contiguous:
        np.matmul(delta.T, h, out=out)
    else:
        np.matmul(h.T, delta, out=out.T)
    return out


class Network:
    """A fully connected feed-forward network.

    Parameters
    ----------
    layer_sizes : sequence of int
        Nodes per layer, input first: the tutorial's ``nn_structure = [64, 30, 10]``.
    activation : str
        Hidden-layer activation: sigmoid (the tutorial's), tanh, relu or leaky_relu.
    output_activation : str, optional
        Output-layer activation (sigmoid, tanh, identity, softmax); default: ``activation``
        when that is sigmoid or tanh, else sigmoid.
    cost : str
        ``quadratic`` (tutorial 4.2) or ``cross_entropy`` (with a softmax or sigmoid output).
    initializer : str
        ``tutorial`` (uniform [0, 1)), ``xavier`` or ``he``.
    random_state : int, numpy.random.Generator or None
        Seed or generator for the initial weights (never numpy's global state).
    dtype : str or numpy dtype
        float64 (default) or float32.
    """

    def __init__(self, layer_sizes: Sequence[int], activation: str = "sigmoid",
                 output_activation: str | None = None, cost: str = "quadratic",
                 initializer: str = "tutorial", random_state: Any = None,
                 dtype: Any = "float64") -> None:
        sizes = list(layer_sizes) if not isinstance(layer_sizes, (str, bytes)) else None
        if (sizes is None or len(sizes) < 2
                or not all(isinstance(s, (int, np.integer)) and s >= 1 for s in sizes)):
            raise ValueError(
                f"layer_sizes must be a list of two or more positive integers, got {layer_sizes!r}")
        self._configure(activation, output_activation, cost, initializer, dtype)
        self.layer_sizes = [int(s) for s in sizes]
        init = get_initializer(initializer)
        rng = np.random.default_rng(random_state)
        self.W: list[np.ndarray] = []
        self.b: list[np.ndarray] = []
        for n_in, n_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            W, b = init(rng, n_out, n_in)
            self.W.append(W.astype(self.dtype))  # (s_{l+1}, s_l)
            self.b.append(b.astype(self.dtype))  # (s_{l+1},)
        self._pack()

    def _pack(self) -> None:
        # every W then every b back to back in one buffer (the order of ``params``), each W
        # in the memory order its products run fastest in (buffers.weight_orders)
        orders = weight_orders(self.layer_sizes, self.dtype) + ["C"] * len(self.b)
        arrays = packed(self.W + self.b, self.dtype, orders)
        self.W, self.b = arrays[:len(self.W)], arrays[len(self.W):]

    def _configure(self, activation, output_activation, cost, initializer, dtype):
        """Check and set everything but the sizes and weights (shared with from_weights)."""
        Choice(HIDDEN_ACTIVATIONS)("activation", activation)  # SettingError, a ValueError
        if output_activation is None:
            output_activation = DEFAULT_OUTPUT.get(activation, "sigmoid")
        self.cost = get_cost(cost, output_activation)  # checks the pair
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
        get_initializer(initializer)  # an unknown name is refused here
        self.activation = get_activation(activation)
        self.output_activation = get_activation(output_activation)
        self.initializer = initializer
        self._workspaces: dict[int, Workspace] = {}
        self.last_penalty = 0.0

    @classmethod
    def from_weights(cls, W: Sequence[Any], b: Sequence[Any], activation: str = "sigmoid",
                     output_activation: str | None = None, cost: str = "quadratic",
                     initializer: str = "tutorial", dtype: Any = None,
                     copy: bool = True) -> Network:
        """A network with the given weights ``W[l]`` (s_{l+1}, s_l) and biases ``b[l]``
        (s_{l+1},); no random draw. ``dtype`` defaults to the weights' own (float32 stays
        float32, anything else becomes float64). ``ValueError`` if the shapes do not chain.
        With ``copy=False`` the network keeps the arrays given (of its dtype) and updates
        them in place: the estimator's ``W[l] = coefs_[l].T`` are views of its ``coefs_``."""
        W = [np.asarray(w) for w in W]
        b = [np.asarray(v) for v in b]
        if not W or len(W) != len(b) or any(w.ndim != 2 for w in W):
            raise ValueError("W must be a non-empty list of 2-D arrays and b a list of as many "
                             f"1-D arrays, got {len(W)} weight and {len(b)} bias arrays")
        sizes = [W[0].shape[1]] + [w.shape[0] for w in W]  # s_1, then each W[l]'s rows
        for l, (w, v) in enumerate(zip(W, b)):
            if w.shape[1] != sizes[l]:
                raise ValueError(f"W[{l}] must have {sizes[l]} columns, one per node of the "
                                 f"layer before it, got shape {w.shape}")
            if v.shape != (sizes[l + 1],):
                raise ValueError(f"b[{l}] must have shape ({sizes[l + 1]},) like W[{l}]'s rows, "
                                 f"got {v.shape}")
        if dtype is None:
            dtype = np.float32 if all(w.dtype == np.float32 for w in W) else np.float64
        net = cls.__new__(cls)
        net._configure(activation, output_activation, cost, initializer, dtype)
        net.layer_sizes = [int(s) for s in sizes]
        keep = np.asarray if not copy else np.array  # np.array copies: the network owns them
        net.W = [keep(w, dtype=net.dtype) for w in W]
        net.b = [keep(v, dtype=net.dtype) for v in b]
        if copy:
            net._pack()  # the network's own copies, back to back
        return net

    @classmethod
    def from_config(cls, config: Any) -> Network:
        """The network a ``TrainConfig`` describes, with its initial weights drawn from the
        config's ``seed``: the one place a config becomes a network. (Read by attribute
        name, so the engine does not import the config module.)"""
        return cls(config.layer_sizes, config.activation, config.output_activation,
                   config.cost, config.initializer, random_state=config.seed,
                   dtype=config.dtype)

    def __repr__(self) -> str:
        return (f"Network({self.layer_sizes}, activation={self.activation.name!r}, "
                f"output_activation={self.output_activation.name!r}, cost={self.cost.name!r})")

    @property
    def params(self) -> list[np.ndarray]:
        """Every weight matrix, then every bias vector: what an optimizer updates."""
        return self.W + self.b

    def _act(self, l):
        return self.output_activation if l == len(self.W) - 1 else self.activation

    def feed_forward(self, X: Any) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
        """Tutorial 3.4 for a batch: returns the lists ``h`` and ``z`` of every layer.

        ``X`` is (m, s_1); ``h[-1]`` is the output, (m, s_nl). New arrays are returned.
        """
        h: list[Any] = [X if _is_sparse(X) else np.asarray(X, self.dtype)]
        z: list[np.ndarray | None] = [None]
        for l, (W, b) in enumerate(zip(self.W, self.b)):
            z.append(h[l] @ W.T + b)  # z^(l+1) = W^(l) h^(l) + b^(l): (m, s_{l+1})
            h.append(self._act(l).f(z[l + 1]))  # h^(l+1) = f(z^(l+1))
        return h, z

    def predict_output(self, X: Any) -> np.ndarray:
        """The output layer h^(n_l) for each row of X: (m, s_nl).

        X may also be a row source (``take_rows(rows, out)``, ``shape``: the training loop's
        other kind of input, see ``training.train``): its rows are then taken and fed
        forward ``PREDICT_CHUNK`` at a time, so they are never all made at once."""
        if not is_row_source(X):
            return self.feed_forward(X)[0][-1]
        m = X.shape[0]
        out = np.empty((m, self.layer_sizes[-1]), self.dtype)  # (m, s_nl)
        buf = np.empty((min(m, PREDICT_CHUNK), self.layer_sizes[0]), self.dtype)
        for start in range(0, m, PREDICT_CHUNK):
            rows = np.arange(start, min(m, start + PREDICT_CHUNK))
            out[start:start + len(rows)] = self.feed_forward(
                X.take_rows(rows, buf[:len(rows)]))[0][-1]
        return out

    def workspace(self, m: int) -> Workspace:
        """The arrays a batch of ``m`` rows is computed in, made on first use and reused."""
        ws = self._workspaces.get(m)
        if ws is None:
            ws = self._workspaces[m] = Workspace(self.layer_sizes, m, self.dtype, self.W,
                                                 self.b)
        return ws

    def backprop(self, X: Any, Y: np.ndarray, l2: float = 0.0,
                 masks: list[np.ndarray | None] | None = None, *,
                 sample_weight: np.ndarray | None = None
                 ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """One forward and backward pass over the batch (tutorial 4.5-4.8, vectorised).

        Returns ``(cost, grad_W, grad_b)``: the mean cost J (plus lambda/2 sum ||W||^2 when
        ``l2`` > 0) and its gradients (1/m) Delta W^(l) (+ lambda W^(l)) and (1/m) Delta b^(l).
        The gradient arrays belong to the network and are overwritten by the next call, and
        ``last_penalty`` keeps the L2 term of the returned cost (0.0 without ``l2``).
        ``masks[l]`` (inverted dropout, already divided by the keep rate) multiplies hidden
        layer l's output. ``sample_weight`` (m,) weighs as scikit-learn does: the 1/m
        becomes w_i / sum(w), in J, its gradients and the mean the L2 term is scaled by
        (which stays the caller's: pass ``l2 = alpha / sum(w)`` for scikit-learn's alpha).
        X may be scipy sparse (CSR or CSC).
        """
        m, n = X.shape[0], len(self.W)
        ws = self.workspace(m)
        h, z, d, delta = ws.h, ws.z, ws.d, ws.delta
        h[0] = X
        for l in range(n):
            # z = h W^T + b, with b first copied into every row: a broadcasting `z += b`
            # makes numpy allocate a 64 kB buffer on every call, np.copyto does not
            np.copyto(ws.b_rows[l + 1], self.b[l])  # (m, s_{l+1})
            if l == 0 and _is_sparse(X):
                np.copyto(z[1], X @ self.W[0].T)  # scipy's product: X is never dense
            else:
                np.matmul(h[l], self.W[l].T, out=z[l + 1])  # (m, s_{l+1})
            z[l + 1] += ws.b_rows[l + 1]
            self._act(l).f(z[l + 1], out=h[l + 1], buf=ws.b_rows[l + 1])  # b_rows: free now
            if l < n - 1:
                # f'(z) is taken now, from h before dropout touches it
                self.activation.deriv(z[l + 1], h[l + 1], out=d[l + 1])
                if masks is not None and masks[l + 1] is not None:
                    h[l + 1] *= masks[l + 1]
                    d[l + 1] *= masks[l + 1]
        share = None if sample_weight is None else (  # (m,) w_i / sum(w), or 1/m
            np.asarray(sample_weight, self.dtype) / np.sum(sample_weight))
        cost = self.cost.value(self.output_activation, h[n], Y, ws.cost_buf, share)
        # tutorial 4.5: delta^(n_l) = -(y - h^(n_l)) * f'(z^(n_l)) (or h - y, see costs.py)
        self.cost.delta(self.output_activation, z[n], h[n], Y, out=delta[n], buf=ws.cost_buf)
        # every gradient below is linear in delta^(n_l), so the tutorial's 1/m is applied
        # once, here, on the smallest array, instead of on each Delta W and Delta b
        if share is None:
            delta[n] *= 1.0 / m
        else:
            delta[n] *= share[:, None]  # each sample's delta times its weight, / sum(w)
        for l in range(n - 1, -1, -1):
            gW, gb = ws.grad_W[l], ws.grad_b[l]
            # tutorial 4.8: (1/m) Delta W^(l) = (1/m) sum over samples of delta^(l+1) h^(l)T
            _weight_gradient(delta[l + 1], h[l], gW)  # (s_{l+1}, s_l)
            # (1/m) Delta b^(l) = (1/m) sum over samples of delta^(l+1); as a matrix-vector
            # product it runs in BLAS, measured several times faster than np.sum(axis=0)
            np.matmul(ws.ones, delta[l + 1], out=gb)  # (s_{l+1},)
            if l > 0:
                # tutorial 4.7: delta^(l) = (W^(l)T delta^(l+1)) * f'(z^(l))
                np.matmul(delta[l + 1], self.W[l], out=delta[l])  # (m, s_l)
                delta[l] *= d[l]
        penalty = self._weight_decay(ws, l2) if l2 else 0.0
        self.last_penalty = penalty
        return cost + penalty, ws.grad_W, ws.grad_b

    def _weight_decay(self, ws: Workspace, l2: float) -> float:
        """Add lambda W^(l) to each weight gradient (d/dW of lambda/2 ||W||^2) and return
        that term of the cost: over all W as one flat array when they lie back to back
        (Network packs them), else layer by layer."""
        flat = ws.l2_views.of(self.W, ws.grad_W)
        if flat is not None:
            W, gW = flat
            np.multiply(W, l2, out=ws.flat_decay)
            gW += ws.flat_decay
            return 0.5 * l2 * float(W @ W)
        penalty = 0.0
        for w, gW, decay in zip(self.W, ws.grad_W, ws.decay):
            np.multiply(w, l2, out=decay)
            gW += decay
            # ravel(order="K") is a view in W's own memory order; np.vdot would copy a
            # transposed W (the estimator's coefs_[l].T) first: 2 ms for 784 x 256
            v = w.ravel(order="K")
            penalty += 0.5 * l2 * float(v @ v)
        return penalty
