"""neuralpath: the neural network of "Neural Networks Tutorial - A Pathway to Deep Learning".

A vectorised NumPy engine (``Network``, ``train``), one config of every training setting
(``TrainConfig``) and its presets, the tutorial's own listings (``neuralpath.tutorial``),
saved models with their preprocessing (``TrainedModel``, ``save``, ``load``), a command line
(``neuralpath``, ``python -m neuralpath``), scikit-learn estimators
(``NeuralNetworkClassifier``, ``NeuralNetworkRegressor``) and a web page (``neuralpath.web``).

Every name is loaded on first use (PEP 562): ``import neuralpath`` costs only the version, so
``neuralpath --version`` answers at once and a user of the engine never waits for
scikit-learn, SciPy or matplotlib.
"""
import os
from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

__all__ = ["ACTIVATIONS", "COSTS", "History", "ModelFileError", "Network",
           "NeuralNetworkClassifier", "NeuralNetworkDiverged", "NeuralNetworkRegressor",
           "PRESETS", "TrainConfig", "TrainedModel", "TrainingDiverged", "UsageError",
           "__version__", "get_activation", "get_cost", "load", "save", "train"]

# public name -> the submodule that defines it
_LAZY = {
    "ACTIVATIONS": "activations", "get_activation": "activations",
    "COSTS": "costs", "get_cost": "costs",
    "ModelFileError": "errors", "TrainingDiverged": "errors", "UsageError": "errors",
    "Network": "network",
    "History": "training", "train": "training",
    "TrainConfig": "config",
    "PRESETS": "presets",
    "TrainedModel": "model", "load": "model",
    "NeuralNetworkClassifier": "estimator", "NeuralNetworkRegressor": "estimator",
    "NeuralNetworkDiverged": "estimator",
}

if TYPE_CHECKING:  # what the names are, for type checkers and editors; never run
    from .activations import ACTIVATIONS, get_activation
    from .config import TrainConfig
    from .costs import COSTS, get_cost
    from .errors import ModelFileError, TrainingDiverged, UsageError
    from .estimator import NeuralNetworkClassifier, NeuralNetworkDiverged, NeuralNetworkRegressor
    from .model import TrainedModel, load
    from .network import Network
    from .presets import PRESETS
    from .training import History, train


def save(obj: Any, path: str | os.PathLike) -> str:
    """Write a model file: a ``TrainedModel``, a fitted ``NeuralNetworkClassifier`` or
    ``NeuralNetworkRegressor``, or a fitted ``Pipeline`` of StandardScaler, MinMaxScaler or
    MaxAbsScaler steps ending in one (the scalers fold into the model's input scaling, so
    ``load``, the CLI and the page predict on the pipeline's raw inputs). Returns the path."""
    model = import_module(".model", __name__)
    if not isinstance(obj, model.TrainedModel):
        obj = import_module(".estimator", __name__).to_model(obj)
    return model.save(obj, path)


def __getattr__(name: str) -> Any:
    """A public name, imported from its submodule on first use and kept (PEP 562)."""
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # the next lookup is an ordinary attribute
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
