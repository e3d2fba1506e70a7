"""neuralpath: the neural network of "Neural Networks Tutorial - A Pathway to Deep Learning".

A vectorised NumPy engine (``Network``, ``train``), the tutorial's own listings
(``neuralpath.tutorial``), saved models with their preprocessing (``TrainedModel``), presets,
a command line (``neuralpath``) and, in other modules, a scikit-learn estimator and a web page.
"""
__version__ = "0.1.0"

from .activations import ACTIVATIONS, get_activation  # noqa: E402
from .costs import COSTS, get_cost  # noqa: E402
from .model import TrainedModel  # noqa: E402
from .network import Network  # noqa: E402
from .persist import ModelFileError, load, save  # noqa: E402
from .presets import PRESETS  # noqa: E402
from .training import History, TrainingDiverged, train  # noqa: E402

__all__ = ["ACTIVATIONS", "COSTS", "History", "ModelFileError", "Network",
           "NeuralNetworkClassifier", "NeuralNetworkRegressor", "PRESETS", "TrainedModel",
           "TrainingDiverged", "__version__", "get_activation", "get_cost", "load", "save",
           "train"]

_LAZY = {"NeuralNetworkClassifier": "estimator", "NeuralNetworkRegressor": "estimator",
         "NeuralNetworkDiverged": "estimator"}


def __getattr__(name):  # the estimators import scikit-learn's estimator machinery: on demand
    if name in _LAZY:
        from importlib import import_module
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
