"""neuralpath: the neural network of "Neural Networks Tutorial - A Pathway to Deep Learning".

A vectorised NumPy engine (``Network``, ``train``), one config of every training setting
(``TrainConfig``) and its presets, the tutorial's own listings (``neuralpath.tutorial``),
saved models with their preprocessing (``TrainedModel``, ``save``, ``load``), a command line
(``neuralpath``, ``python -m neuralpath``) and, imported on demand, scikit-learn estimators
(``NeuralNetworkClassifier``, ``NeuralNetworkRegressor``) and a web page (``neuralpath.web``).
"""
from importlib import import_module
from typing import Any

from ._version import __version__
from .activations import ACTIVATIONS, get_activation
from .config import TrainConfig
from .costs import COSTS, get_cost
from .errors import ModelFileError, TrainingDiverged, UsageError
from .model import TrainedModel, load, save
from .network import Network
from .presets import PRESETS
from .training import History, train

__all__ = ["ACTIVATIONS", "COSTS", "History", "ModelFileError", "Network",
           "NeuralNetworkClassifier", "NeuralNetworkDiverged", "NeuralNetworkRegressor",
           "PRESETS", "TrainConfig", "TrainedModel", "TrainingDiverged", "UsageError",
           "__version__", "get_activation", "get_cost", "load", "save", "train"]

_LAZY = {"NeuralNetworkClassifier": "estimator", "NeuralNetworkRegressor": "estimator",
         "NeuralNetworkDiverged": "estimator"}


def __getattr__(name: str) -> Any:
    """The estimators import scikit-learn's estimator machinery: loaded on first use."""
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
