"""neuralpath: the neural network of "Neural Networks Tutorial - A Pathway to Deep Learning".

A vectorised NumPy engine (``Network``, ``train``), one config of every training setting
(``TrainConfig``) and its presets, the tutorial's own listings (``neuralpath.tutorial``),
saved models with their preprocessing (``TrainedModel``, ``save``, ``load``), a command line
(``neuralpath``, ``python -m neuralpath``) and, imported on demand, scikit-learn estimators
(``NeuralNetworkClassifier``, ``NeuralNetworkRegressor``) and a web page (``neuralpath.web``).
"""
import os
from importlib import import_module
from typing import Any

from . import model as _model
from ._version import __version__
from .activations import ACTIVATIONS, get_activation
from .config import TrainConfig
from .costs import COSTS, get_cost
from .errors import ModelFileError, TrainingDiverged, UsageError
from .model import TrainedModel, load
from .network import Network
from .presets import PRESETS
from .training import History, train

__all__ = ["ACTIVATIONS", "COSTS", "History", "ModelFileError", "Network",
           "NeuralNetworkClassifier", "NeuralNetworkDiverged", "NeuralNetworkRegressor",
           "PRESETS", "TrainConfig", "TrainedModel", "TrainingDiverged", "UsageError",
           "__version__", "get_activation", "get_cost", "load", "save", "train"]

_LAZY = {"NeuralNetworkClassifier": "estimator", "NeuralNetworkRegressor": "estimator",
         "NeuralNetworkDiverged": "estimator"}


def save(obj: Any, path: str | os.PathLike) -> str:
    """Write a model file: a ``TrainedModel``, a fitted ``NeuralNetworkClassifier`` or
    ``NeuralNetworkRegressor``, or a fitted ``Pipeline`` of StandardScaler, MinMaxScaler or
    MaxAbsScaler steps ending in one (the scalers fold into the model's input scaling, so
    ``load``, the CLI and the page predict on the pipeline's raw inputs). Returns the path."""
    if not isinstance(obj, TrainedModel):
        obj = import_module(".estimator", __name__).to_model(obj)
    return _model.save(obj, path)


def __getattr__(name: str) -> Any:
    """The estimators import scikit-learn's estimator machinery: loaded on first use."""
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
