"""Where the engine keeps its numbers: arrays packed back to back in one buffer, one flat view
over them, and the arrays a batch is computed in (``Workspace``).

A ``Network`` keeps every ``W[l]`` then every ``b[l]`` back to back in one buffer
(``packed``), and its gradients the same way, each gradient in its weights' memory order. An
optimizer, the divergence guard and the L2 term then treat all of them as one 1-D array
(``flat_view``): one numpy call per operation instead of one per array, and the elements of
two such views correspond one to one when the arrays' layouts match (``same_layouts``).

The memory orders are chosen for OpenBLAS's products, as measured on one core
(``neuralpath bench``, benchmarks/README.md): see ``weight_orders`` and ``Workspace``.
NumPy only, like the rest of the engine.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

Order = Literal["C", "F"]  # a memory order: row-major (C) or column-major (Fortran)

# A float32 first layer feeding this many nodes or more keeps W[0] in Fortran order
# (``weight_orders``): measured 7-12% faster for 128, 192, 200 and 256 nodes on batches of
# 128 (784 inputs), slower for 30 and 64 nodes on the tutorial's 1078 rows; 300 and 512 were
# within the noise of a busy machine
WIDE_LAYER = 128

# A hidden layer narrower than this keeps its (m, s_l) arrays in Fortran order in float64:
# OpenBLAS's double-precision kernels then run its products (X W^T, the weight gradient) with
# m, not s_l, as the long side, measured 25% faster for the tutorial's [64, 30, 10] on 1078
# rows (and slower for wide layers and for float32, which stay in C order).
NARROW_LAYER = 64


def weight_orders(layer_sizes: Sequence[int], dtype: Any) -> list[Order]:
    """The memory order of each ``W[l]`` (s_{l+1}, s_l) a network packs.

    In float32, a first layer feeding ``WIDE_LAYER`` nodes or more keeps ``W[0]`` in Fortran
    order, so that W^T is C-ordered: OpenBLAS's single-precision kernels then run the forward
    product X W^T about 13% faster and the weight gradient X^T delta as fast (for [784, 256,
    256, 10] on batches of 128: 268 and 242 us against 308 and 241 us). The first layer is
    the one whose delta is never computed; for the others the delta's product delta W,
    slower with W in Fortran order, undoes the gain. Narrow first layers (the tutorial's
    30 nodes on 1078 rows: 11% slower) and every float64 W (the tutorial's) stay in C order.
    """
    fortran = np.dtype(dtype) == np.float32 and len(layer_sizes) > 1 \
        and layer_sizes[1] >= WIDE_LAYER
    return ["F" if l == 0 and fortran else "C" for l in range(len(layer_sizes) - 1)]


def order_of(a: np.ndarray) -> Order:
    """'F' for an array laid out in Fortran order only, else 'C'."""
    return "F" if a.flags.f_contiguous and not a.flags.c_contiguous else "C"


def packed(arrays: Sequence[Any], dtype: Any = None,
           orders: Sequence[Order] | None = None) -> list[np.ndarray]:
    """Copies of ``arrays`` that lie back to back in one new buffer, so that ``flat_view``
    sees them as one 1-D array.

    Parameters
    ----------
    arrays : sequence of array_like
        What to copy, in this order.
    dtype : numpy dtype, optional
        The buffer's dtype (default: the arrays' common type).
    orders : sequence of {'C', 'F'}, optional
        The memory order of each copy (default: C for all).
    """
    arrays = [np.asarray(a) for a in arrays]
    if not arrays:
        return []
    dtype = np.result_type(*arrays) if dtype is None else np.dtype(dtype)
    orders = ["C"] * len(arrays) if orders is None else orders
    flat = np.empty(sum(a.size for a in arrays), dtype)
    views, start = [], 0
    for a, order in zip(arrays, orders, strict=True):
        view = flat[start:start + a.size].reshape(a.shape, order=order)
        np.copyto(view, a)
        views.append(view)
        start += a.size
    return views


def flat_view(arrays: Sequence[np.ndarray]) -> np.ndarray | None:
    """One 1-D view over ``arrays`` when they lie back to back, in this order, in one buffer
    of one dtype, each contiguous in C or Fortran order (as ``packed`` makes them); else
    None. An operation on it is one pass, not one numpy call per array."""
    if not arrays:
        return None
    first = arrays[0]
    owner = first.base if first.base is not None else first
    if not (isinstance(owner, np.ndarray) and owner.ndim == 1 and owner.flags.c_contiguous):
        return None
    address, origin = first.ctypes.data, owner.ctypes.data
    start = address
    for a in arrays:
        if (a.base is not owner and a is not owner) or not (a.flags.c_contiguous
                                                            or a.flags.f_contiguous) \
                or a.dtype != owner.dtype or a.ctypes.data != address:
            return None
        address += a.nbytes
    offset = (start - origin) // owner.itemsize
    return owner[offset:offset + (address - start) // owner.itemsize]


def same_layouts(*lists: Sequence[np.ndarray]) -> bool:
    """Whether the lists hold arrays of the same shapes and memory layouts, position by
    position: then the elements of their flat views correspond one to one."""
    first = lists[0]
    return all(len(other) == len(first) and all(
        a.shape == b.shape and (a.size <= 1 or a.strides == b.strides)
        for a, b in zip(first, other)) for other in lists[1:])


class FlatViews:
    """The flat views of the lists last asked for, kept while the same arrays are asked
    again (the same objects: their memory cannot move while they are held here). ``of``
    gives one flat view per list, or None unless every list has one and their layouts
    match (``same_layouts``). A few combinations are kept: a run alternates between the
    gradients of two batch sizes (its last batch is shorter)."""

    KEEP = 4

    def __init__(self) -> None:
        # ids of every array -> (the lists, held so the ids stay theirs; the views or None)
        self.known: dict[tuple[int, ...], tuple[Any, Any]] = {}

    def of(self, *lists: Sequence[np.ndarray]) -> list[np.ndarray] | None:
        ids = tuple(id(a) for arrays in lists for a in arrays)
        if ids not in self.known:
            views = [flat_view(arrays) for arrays in lists]
            ok = all(v is not None for v in views) and same_layouts(*lists)
            if len(self.known) >= self.KEEP:
                del self.known[next(iter(self.known))]  # the oldest
            self.known[ids] = ([list(a) for a in lists], views if ok else None)
        return self.known[ids][1]


class Workspace:
    """Arrays for one batch size, made once and reused by every iteration.

    Each (m, s_l) array is in the memory order its products run fastest in (``NARROW_LAYER``);
    each gradient in its weights' layout, all of them back to back when the weights are
    (``packed``), so that an optimizer updates them in one flat pass.
    """

    def __init__(self, sizes: Sequence[int], m: int, dtype: Any,
                 W: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> None:
        n = len(sizes)

        def layer(l):  # an (m, s_l) array, in the memory order its products run fastest in
            order = "F" if 0 < l < n - 1 and np.dtype(dtype) == np.float64 \
                and sizes[l] < NARROW_LAYER else "C"
            return np.empty((m, sizes[l]), dtype, order)

        self.z = [None] + [layer(l) for l in range(1, n)]  # z[l]: (m, s_l)
        self.b_rows = [None] + [layer(l) for l in range(1, n)]  # b in every row
        self.h = [None] + [layer(l) for l in range(1, n)]  # h[0] is set to X
        self.d = [None] + [layer(l) for l in range(1, n - 1)] + [None]  # f'(z)
        self.delta = [None] + [layer(l) for l in range(1, n)]
        if flat_view(list(W) + list(b)) is not None:  # back to back, as Network packs W and b
            grads = packed([np.empty(w.shape, dtype) for w in W] + [np.empty(v.shape, dtype)
                                                                    for v in b], dtype,
                           [order_of(w) for w in W] + ["C"] * len(b))
            self.grad_W, self.grad_b = grads[:n - 1], grads[n - 1:]
        else:  # each gradient in its weights' memory order (the estimator's W are coefs_.T)
            self.grad_W = [np.empty_like(w, dtype) for w in W]  # (s_{l+1}, s_l)
            self.grad_b = [np.empty(sizes[l + 1], dtype) for l in range(n - 1)]
        # scratch for lambda * W: one buffer, seen flat or as one array per W (W's layouts)
        self.flat_decay = np.empty(sum(g.size for g in self.grad_W), dtype)
        self.decay, start = [], 0
        for g in self.grad_W:
            self.decay.append(self.flat_decay[start:start + g.size].reshape(
                g.shape, order=order_of(g)))
            start += g.size
        self.l2_views = FlatViews()  # W and its gradients as one array each, for the L2 term
        self.ones = np.ones(m, dtype)  # sums over the batch as a product: ones @ delta
        self.cost_buf = np.empty((m, sizes[-1]), dtype)
