"""The way out: a fitted estimator or a neuralpath model as a PyTorch module or an ONNX graph.

Both are built from the same list of layers: the tutorial's ``W[l]`` (s_{l+1}, s_l), ``b[l]``
and each layer's activation. A saved model's input scaling (X - mean) / scale is folded into
the first layer (W' = W / scale, b' = b - W' mean), so the exported network takes raw
inputs, as the model does. ``torch.nn.Linear`` keeps its weight as (out, in): the tutorial's
orientation, so ``W[l]`` goes in as it is.

``to_torch`` needs the ``torch`` extra, ``to_onnx`` the ``onnx`` extra (onnxruntime runs the
file; it is not needed to write it).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .persist import atomic_write

__all__ = ["Layers", "layers_of", "save_onnx", "to_onnx", "to_torch"]

# the engine's and scikit-learn's activation names -> one name here
_CANONICAL = {"logistic": "sigmoid", "sigmoid": "sigmoid", "relu": "relu", "tanh": "tanh",
              "identity": "identity", "leaky_relu": "leaky_relu", "softmax": "softmax",
              "exp": "exp"}
_LEAKY_SLOPE = 0.01  # activations.LEAKY_SLOPE


@dataclass
class Layers:
    """A network as plain arrays: what both exports are built from.

    ``W[l]`` is (s_{l+1}, s_l), ``b[l]`` (s_{l+1},); ``activation`` is the hidden layers',
    ``output_activation`` the last layer's. ``probabilities`` says how the outputs become
    class probabilities: 'binary' (one sigmoid p -> (1 - p, p)), 'normalise' (independent
    sigmoids divided by their sum), 'as_is' (softmax, multilabel) or None (a regressor).
    """

    W: list
    b: list
    activation: str
    output_activation: str
    probabilities: str | None


def layers_of(obj: Any) -> Layers:
    """The layers of a fitted estimator, a ``TrainedModel`` (scaling folded in) or a Network.

    Parameters
    ----------
    obj : NeuralNetworkClassifier, NeuralNetworkRegressor, TrainedModel or Network

    Returns
    -------
    Layers
    """
    from .model import TrainedModel
    from .network import Network

    if hasattr(obj, "_export_layers"):  # the estimators say it themselves (no import cycle)
        return obj._export_layers()
    if isinstance(obj, TrainedModel):
        net = obj.network
        W, b = list(net.W), list(net.b)
        scale = obj.scaler_scale
        W0 = W[0] / scale  # (s_2, s_1): each input column divided by its scale
        b[0] = b[0] - W0 @ obj.scaler_mean  # (s_2,)
        W[0] = W0
        out = net.output_activation.name
        return Layers(W, b, _CANONICAL[net.activation.name], _CANONICAL[out],
                      "as_is" if out == "softmax" else "normalise")
    if isinstance(obj, Network):
        return Layers(list(obj.W), list(obj.b), _CANONICAL[obj.activation.name],
                      _CANONICAL[obj.output_activation.name], None)
    raise TypeError("expected a fitted NeuralNetworkClassifier or NeuralNetworkRegressor, a "
                    f"TrainedModel or a Network, got {type(obj).__name__}")


def to_torch(obj: Any) -> Any:
    """A ``torch.nn.Sequential`` with the same weights, giving the same outputs.

    Linear layers alternate with the activations; the last module is the output activation
    (``Sigmoid``, ``Softmax(dim=1)``; none for an identity output), so the module returns
    the network's output layer h^(n_l): for a classifier with one output per class that is
    ``predict_proba`` (up to the normalisation of independent sigmoids), for a binary one the
    probability of ``classes_[1]``, for a regressor ``predict``. Drop the last module
    (``module[:-1]``) to train on logits with ``torch.nn.CrossEntropyLoss`` or
    ``BCEWithLogitsLoss``. The parameters have the network's dtype (float64 by default);
    ``module.float()`` converts them.

    Parameters
    ----------
    obj : fitted estimator, TrainedModel or Network

    Returns
    -------
    torch.nn.Sequential
    """
    try:
        import torch
        from torch import nn
    except ImportError:  # pragma: no cover - the message is the point
        raise ImportError("to_torch needs PyTorch: pip install 'neuralpath[torch]'") from None
    layers = layers_of(obj)
    modules: dict[str, Callable[[], Any]] = {
        "sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh,
        "leaky_relu": lambda: nn.LeakyReLU(_LEAKY_SLOPE), "softmax": lambda: nn.Softmax(dim=1)}
    if "exp" in (layers.activation, layers.output_activation):
        raise ValueError("to_torch has no exponential output layer (loss='poisson'); use "
                         "to_onnx, or apply torch.exp to the output of to_torch(...)")
    parts: list = []
    n = len(layers.W)
    for l, (W, b) in enumerate(zip(layers.W, layers.b)):
        linear = nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64 if W.dtype == np.float64
                           else torch.float32)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W)))  # (s_{l+1}, s_l)
            linear.bias.copy_(torch.from_numpy(np.ascontiguousarray(b)))
        parts.append(linear)
        name = layers.output_activation if l == n - 1 else layers.activation
        if name != "identity":
            parts.append(modules[name]())
    return nn.Sequential(*parts)


def to_onnx(obj: Any, opset: int = 13) -> Any:
    """An ONNX graph computing the estimator's outputs on float32 inputs.

    Input ``input`` (N, n_features), float32. Outputs: ``output``, the network's output
    layer h^(n_l); for a classifier also ``probabilities``, ``predict_proba``'s columns in the
    order of ``classes_`` (for a saved model, of its labels). Built from MatMul, Add and
    activation nodes with the ``onnx`` package.

    Parameters
    ----------
    obj : fitted estimator, TrainedModel or Network
    opset : int, default=13
        The ONNX operator set.

    Returns
    -------
    onnx.ModelProto
    """
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:  # pragma: no cover - the message is the point
        raise ImportError("to_onnx needs onnx: pip install 'neuralpath[onnx]'") from None
    layers = layers_of(obj)
    ops = {"sigmoid": "Sigmoid", "relu": "Relu", "tanh": "Tanh", "softmax": "Softmax",
           "exp": "Exp", "leaky_relu": "LeakyRelu"}
    nodes, inits = [], []
    h = "input"
    n = len(layers.W)
    for l, (W, b) in enumerate(zip(layers.W, layers.b)):
        # z = h W^T + b: MatMul by W^T (s_l, s_{l+1}), then Add b
        inits.append(numpy_helper.from_array(np.ascontiguousarray(W.T, np.float32), f"W{l}_T"))
        inits.append(numpy_helper.from_array(np.asarray(b, np.float32), f"b{l}"))
        nodes.append(helper.make_node("MatMul", [h, f"W{l}_T"], [f"hW{l}"]))
        nodes.append(helper.make_node("Add", [f"hW{l}", f"b{l}"], [f"z{l + 1}"]))
        name = layers.output_activation if l == n - 1 else layers.activation
        h = "output" if l == n - 1 else f"h{l + 1}"
        if name == "identity":
            nodes.append(helper.make_node("Identity", [f"z{l + 1}"], [h]))
        elif name == "leaky_relu":
            nodes.append(helper.make_node("LeakyRelu", [f"z{l + 1}"], [h], alpha=_LEAKY_SLOPE))
        elif name == "softmax":
            nodes.append(helper.make_node("Softmax", [f"z{l + 1}"], [h], axis=1))
        else:
            nodes.append(helper.make_node(ops[name], [f"z{l + 1}"], [h]))
    n_out = layers.W[-1].shape[0]
    outputs = [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", n_out])]
    if layers.probabilities == "binary":
        inits.append(numpy_helper.from_array(np.ones((1, 1), np.float32), "one"))
        nodes.append(helper.make_node("Sub", ["one", "output"], ["p_other"]))
        nodes.append(helper.make_node("Concat", ["p_other", "output"], ["probabilities"],
                                      axis=1))
    elif layers.probabilities == "normalise":
        inits.append(numpy_helper.from_array(np.array([1], np.int64), "axis1"))
        nodes.append(helper.make_node("ReduceSum", ["output", "axis1"], ["row_sum"],
                                      keepdims=1))
        nodes.append(helper.make_node("Div", ["output", "row_sum"], ["probabilities"]))
    elif layers.probabilities == "as_is":
        nodes.append(helper.make_node("Identity", ["output"], ["probabilities"]))
    if layers.probabilities is not None:
        k = 2 if layers.probabilities == "binary" else n_out
        outputs.append(helper.make_tensor_value_info("probabilities", TensorProto.FLOAT,
                                                     ["N", k]))
    n_in = layers.W[0].shape[1]
    graph = helper.make_graph(
        nodes, "neuralpath", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                            ["N", n_in])],
        outputs, initializer=inits)
    model = helper.make_model(graph, producer_name="neuralpath",
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = min(model.ir_version, 8)  # readable by onnxruntime >= 1.14
    onnx.checker.check_model(model)
    return model


def save_onnx(obj: Any, path: str | os.PathLike) -> str:
    """Write ``to_onnx(obj)`` to ``path`` (atomically: a temporary file, then a rename).

    Parameters
    ----------
    obj : fitted estimator, TrainedModel or Network
    path : str or os.PathLike

    Returns
    -------
    str
        The path written.
    """
    data = to_onnx(obj).SerializeToString()
    return atomic_write(path, lambda f: f.write(data))
