"""scikit-learn estimators on neuralpath's engine: ``NeuralNetworkClassifier`` and
``NeuralNetworkRegressor``.

They are thin adapters, not a second implementation: ``fit`` builds a ``Network`` and hands it
to ``training.train``, the same two calls that ``pipeline.train_preset`` makes, so the
classifier with the tutorial's settings reproduces the ``tutorial`` preset bit for bit.
What this module adds is scikit-learn's contract: one table of parameter constraints checked
on every ``fit``, input validation (``n_features_in_``, ``feature_names_in_``), label
encoding (``classes_``), ``partial_fit`` and ``warm_start``, tags, and saving to
neuralpath's own ``.npz`` format.

Orientation: ``coefs_[l]`` is the engine's ``W[l]``, shape (s_{l+1}, s_l) as in the
tutorial, i.e. the *transpose* of ``MLPClassifier.coefs_[l]`` (n_in, n_out). A layer is
``Z = H @ coefs_[l].T + intercepts_[l]``.
"""
from __future__ import annotations

import copy
import logging
import warnings
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from .activations import HIDDEN_ACTIVATIONS
from .config import TrainConfig
from .costs import COSTS
from .data import one_hot
from .errors import ModelFileError, TrainingDiverged
from .initializers import INITIALIZERS
from .model import TrainedModel, features_input, probabilities
from .model import load as _load_model
from .model import save as _save_model
from .network import Network
from .optimizers import OPTIMIZERS, SCHEDULES, from_settings
from .training import accuracy, train

__all__ = ["NeuralNetworkClassifier", "NeuralNetworkDiverged", "NeuralNetworkRegressor"]

logger = logging.getLogger(__name__)

_FLOAT_DTYPES = (np.float64, np.float32)
# initializer="auto": He et al. for the relu family, Glorot/Xavier for the rest
_AUTO_INITIALIZER = {"relu": "he", "leaky_relu": "he"}


class NeuralNetworkDiverged(TrainingDiverged, ValueError):
    """Training produced a NaN or infinite cost.

    It is a ``ValueError`` (what scikit-learn raises for a fit that cannot succeed, so
    ``GridSearchCV`` scores such a candidate ``error_score`` and goes on) and a
    ``neuralpath.TrainingDiverged`` (``.history`` says what ran). The estimator keeps the
    last weights whose cost was finite.
    """


class _EpochLog:
    """Training callback: the validation score after each epoch, and log lines if verbose."""

    def __init__(self, estimator, validation, verbose):
        self.estimator, self.validation, self.verbose = estimator, validation, verbose
        self.scores = []

    def on_epoch_end(self, epoch, record):
        message = f"epoch {self.estimator.n_iter_ + epoch + 1}: cost {record['train_cost']:.6g}"
        if self.validation is not None:
            X_val, Y_val = self.validation
            score = self.estimator._score_outputs(
                self.estimator.network_.predict_output(X_val), Y_val)
            self.scores.append(score)
            message += f", validation score {score:.4f}"
        if self.verbose:
            logger.info(message)


class _BaseNeuralNetwork(BaseEstimator):
    """What the classifier and the regressor share: parameters, training, saving."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "schedule": [StrOptions(set(SCHEDULES))],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [None, Interval(Integral, 1, None, closed="left")],
        "l2": [Interval(Real, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "initializer": [StrOptions({"auto"} | set(INITIALIZERS))],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state", np.random.Generator],
        "dtype": [StrOptions({"float64", "float32"}), Options(type, {np.float64, np.float32})],
        "verbose": ["verbose"],
    }

    # --- what the subclasses define -------------------------------------------------------
    def _output_activation_name(self):
        raise NotImplementedError

    def _cost_name(self):
        raise NotImplementedError

    def _targets(self, X, y, continuing, incremental, classes):
        """Validate X and y; return (X, Y) with Y (m, n_outputs) for the network.

        ``continuing``: the fitted network goes on training (warm start or partial_fit);
        ``incremental``: called by partial_fit.
        """
        raise NotImplementedError

    def _score_outputs(self, output, Y):
        """The validation score (what ``score`` returns) from network outputs and targets."""
        raise NotImplementedError

    # --- construction ---------------------------------------------------------------------
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, Integral) and not isinstance(sizes, bool):
            sizes = [sizes]
        try:
            sizes = list(sizes) if not isinstance(sizes, (str, bytes)) else None
        except TypeError:
            sizes = None
        if sizes is None or not all(isinstance(s, Integral) and not isinstance(s, bool)
                                    and s >= 1 for s in sizes):
            raise ValueError("hidden_layer_sizes must be a positive integer or a sequence of "
                             "positive integers (empty for no hidden layer), "
                             f"got {self.hidden_layer_sizes!r}")
        return [int(s) for s in sizes]

    def _initializer_name(self):
        if self.initializer == "auto":
            return _AUTO_INITIALIZER.get(self.activation, "xavier")
        return self.initializer

    def _random_states(self):
        """(seed or generator for the initial weights, generator for shuffling and dropout).

        An int seed is used exactly as ``pipeline.train_preset`` uses it: ``Network`` and
        ``train`` each start a generator from it, so both give the same numbers.
        """
        rs = self.random_state
        if isinstance(rs, np.random.RandomState):  # scikit-learn's kind: draw a seed from it
            rs = int(rs.randint(np.iinfo(np.int32).max))
        if isinstance(rs, Integral):
            return int(rs), np.random.default_rng(int(rs))
        rng = np.random.default_rng(rs)  # a Generator is used (and advanced) as given
        return rng, rng

    def _config(self, sizes, epochs):
        """The ``TrainConfig`` these parameters describe: the one the engine trains with."""
        rs = self.random_state
        return TrainConfig(
            layer_sizes=sizes, activation=self.activation,
            output_activation=self._output_activation_name(), cost=self._cost_name(),
            initializer=self._initializer_name(), dtype=np.dtype(self.dtype).name,
            optimizer=self.optimizer, learning_rate=float(self.learning_rate),
            schedule=self.schedule, iterations=None, epochs=epochs,
            batch_size=None if self.batch_size is None else int(self.batch_size),
            l2=float(self.l2), dropout=float(self.dropout),
            early_stopping=bool(self.early_stopping),
            validation_fraction=float(self.validation_fraction), patience=int(self.patience),
            seed=int(rs) if isinstance(rs, Integral) and rs >= 0 else 0)

    def _new_network(self, sizes, weight_seed):
        return Network(sizes, self.activation, self._output_activation_name(), self._cost_name(),
                       self._initializer_name(), random_state=weight_seed, dtype=self.dtype)

    def _check_architecture(self, net, sizes):
        """warm_start and partial_fit continue ``net``: the parameters must still describe it."""
        wanted = dict(layer_sizes=sizes, activation=self.activation,
                      output_activation=self._output_activation_name(), cost=self._cost_name(),
                      dtype=np.dtype(self.dtype).name)
        have = dict(layer_sizes=net.layer_sizes, activation=net.activation.name,
                    output_activation=net.output_activation.name, cost=net.cost.name,
                    dtype=net.dtype.name)
        changed = [k for k in wanted if wanted[k] != have[k]]
        if changed:
            raise ValueError(
                "warm_start and partial_fit continue the fitted network, but "
                + ", ".join(f"{k} is now {wanted[k]!r} where the network has {have[k]!r}"
                            for k in changed)
                + "; set warm_start=False (or clone the estimator) to start a new network")

    # --- training -------------------------------------------------------------------------
    def _fit(self, X, y, incremental, classes=None):
        continuing = hasattr(self, "network_") and (incremental or self.warm_start)
        X, Y = self._targets(X, y, continuing, incremental, classes)
        self._input_range = _input_range(X, getattr(self, "_input_range", None), continuing)
        sizes = [X.shape[1], *self._hidden_sizes(), Y.shape[1]]
        if continuing:
            self._check_architecture(self.network_, sizes)
            if not hasattr(self, "_rng"):  # a loaded estimator: a fresh stream for shuffling
                self._rng = self._random_states()[1]
        else:
            weight_seed, self._rng = self._random_states()
            self.network_ = self._new_network(sizes, weight_seed)
            self.n_iter_, self.loss_curve_ = 0, []
            self.validation_scores_ = self.best_validation_score_ = None
            self._optimizer = None
        cfg = self._config(sizes, 1 if incremental else int(self.max_iter))
        # partial_fit keeps the optimizer's state (momentum, Adam moments) between calls;
        # each fit, warm or not, starts a new optimizer, as scikit-learn's MLP does
        if not incremental or getattr(self, "_optimizer", None) is None:
            self._optimizer = from_settings(cfg.optimizer, cfg.learning_rate, cfg)
        self._optimizer.learning_rate = cfg.learning_rate  # a schedule moved it

        early = bool(self.early_stopping) and not incremental
        validation = None
        if early:
            seed = self.random_state if isinstance(self.random_state, Integral) else \
                int(self._rng.integers(np.iinfo(np.int32).max))
            stratify = Y.argmax(axis=1) if isinstance(self, ClassifierMixin) else None
            X, X_val, Y, Y_val = train_test_split(
                X, Y, test_size=self.validation_fraction, random_state=seed, stratify=stratify)
            validation = (X_val, Y_val)
        log = _EpochLog(self, validation, self.verbose)
        try:
            # overflow inside a diverging run is reported once, as NeuralNetworkDiverged
            with np.errstate(over="ignore", invalid="ignore"):
                history = train(self.network_, X, Y, cfg.replace(early_stopping=early),
                                optimizer=self._optimizer, validation_data=validation,
                                callbacks=[log], random_state=self._rng)
        except TrainingDiverged as exc:
            self._record(exc.history, log, early)
            raise NeuralNetworkDiverged(
                f"{type(self).__name__} diverged: {exc}. Lower learning_rate (it is "
                f"{self.learning_rate!r}) or scale the inputs (StandardScaler in a Pipeline).",
                exc.history) from None
        self._record(history, log, early)
        if history.stopped == "interrupted":
            warnings.warn(f"training interrupted by the user (Ctrl-C) after {history.epochs} "
                          "epochs; the estimator keeps the weights it had then", UserWarning,
                          stacklevel=3)
        return self

    def _record(self, history, log, early):
        self.n_iter_ += history.epochs
        self.loss_curve_.extend(float(c) for c in history.train_cost)
        self.stopped_ = history.stopped
        if early:
            self.validation_scores_ = (self.validation_scores_ or []) + log.scores
            if history.best_epoch is not None:  # the epoch whose weights train() put back
                self.best_validation_score_ = log.scores[history.best_epoch]

    def _output(self, X):
        """The output layer for X, (m, n_outputs), in X's float type (float64 for ints).

        The network computes in its own ``dtype``; results follow the input's precision,
        as scikit-learn's estimators do, so float64 data gets float64 predictions.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=_FLOAT_DTYPES)
        return self.network_.predict_output(X).astype(X.dtype, copy=False)

    @property
    def coefs_(self):
        """Weight matrices: ``coefs_[l]`` is W^(l+1) of the tutorial, shape (s_{l+1}, s_l).

        The transpose of ``MLPClassifier.coefs_[l]``. These are the network's own arrays.
        """
        check_is_fitted(self)
        return list(self.network_.W)

    @property
    def intercepts_(self):
        """Bias vectors: ``intercepts_[l]`` is b^(l+1) of the tutorial, shape (s_{l+1},)."""
        check_is_fitted(self)
        return list(self.network_.b)

    def __getstate__(self):
        # the network's per-batch-size scratch arrays are a cache: leave them out of pickles
        state = dict(super().__getstate__())  # a copy: Python 3.11 hands out __dict__ itself
        net = state.get("network_")
        if net is not None and getattr(net, "_workspaces", None):
            net = copy.copy(net)
            net._workspaces = {}
            state["network_"] = net
        return state

    # --- saving ---------------------------------------------------------------------------
    def save(self, path):
        """Write the fitted estimator to ``path``, one neuralpath ``.npz`` model (no pickle).

        The file is an ordinary neuralpath model (``neuralpath.load`` reads it) with an
        identity scaler (mean 0, scale 1: scaling, if any, belongs to your Pipeline), the
        parameters and fitted attributes in its metadata. Optimizer state (momentum, Adam
        moments) is not saved. Returns the path.
        """
        check_is_fitted(self)
        n_in = self.n_features_in_
        fitted = dict(n_features_in_=int(n_in), n_iter_=int(self.n_iter_),
                      loss_curve_=[float(c) for c in self.loss_curve_],
                      validation_scores_=self.validation_scores_,
                      best_validation_score_=self.best_validation_score_,
                      stopped_=self.stopped_)
        if hasattr(self, "feature_names_in_"):
            fitted["feature_names_in_"] = [str(f) for f in self.feature_names_in_]
        fitted.update(self._extra_fitted_metadata())
        meta = {"estimator": type(self).__name__, "params": self._json_params(),
                "fitted": fitted, "inputs": features_input(getattr(self, "_input_range", None))}
        model = TrainedModel(self.network_, np.zeros(n_in), np.ones(n_in),
                             self._output_labels(), meta)
        return _save_model(model, path)

    def _json_params(self):
        params = {}
        for name, value in self.get_params().items():
            if name == "hidden_layer_sizes":
                value = self._hidden_sizes()
            elif name == "random_state":  # a Generator or RandomState has no JSON form
                value = int(value) if isinstance(value, Integral) else None
            elif name == "dtype":
                value = np.dtype(value).name
            elif isinstance(value, (np.generic,)):
                value = value.item()
            params[name] = value
        return params

    @classmethod
    def load(cls, path):
        """Read an estimator written by ``save``; it predicts exactly as the one saved."""
        model = _load_model(path)
        meta = model.metadata
        if meta.get("estimator") != cls.__name__:
            what = meta.get("estimator") or "not by an estimator (no 'estimator' entry)"
            raise ModelFileError(f"{path} was not saved by {cls.__name__}.save (it was saved "
                                 f"{'by ' + what if meta.get('estimator') else what}); "
                                 "load it with neuralpath.load")
        try:
            params = dict(meta["params"])
            params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
            est = cls(**params)
            fitted = meta["fitted"]
            est.network_ = model.network
            est._check_architecture(model.network, [int(fitted["n_features_in_"]),
                                                    *est._hidden_sizes(),
                                                    model.network.layer_sizes[-1]])
            for name in ("n_features_in_", "n_iter_", "loss_curve_", "validation_scores_",
                         "best_validation_score_", "stopped_"):
                setattr(est, name, fitted[name])
            if "feature_names_in_" in fitted:
                est.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
            est._restore_fitted(model, fitted)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{path} is a damaged {cls.__name__} file ({exc})") from None
        return est


_COMMON_DOC = """
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Nodes in each hidden layer; the input and output layers are sized from the data.
        ``()`` is a network without hidden layer.
    activation : {'relu', 'leaky_relu', 'sigmoid', 'tanh', 'identity'}, default='relu'
        Hidden-layer activation (the tutorial uses 'sigmoid').
    optimizer : {'adam', 'gd', 'sgd', 'momentum', 'nesterov'}, default='adam'
        'gd' and 'sgd' are the same plain step W -= learning_rate * gradient.
    learning_rate : float, default=0.001
        The tutorial's alpha (the starting rate when ``schedule`` is not constant).
    schedule : {'constant', 'step', 'cosine'}, default='constant'
        The learning rate as a function of the epoch over ``max_iter`` epochs.
    max_iter : int, default=200
        Epochs, i.e. passes over the training data. Each epoch takes
        ceil(n_samples / batch_size) optimizer steps, so with ``batch_size=None`` (full
        batch) ``max_iter`` is the tutorial's number of iterations. Training always runs
        ``max_iter`` epochs unless ``early_stopping`` stops it.
    batch_size : int or None, default=200
        Samples per optimizer step (reshuffled every epoch); None or a size >= n_samples
        is full-batch gradient descent, the tutorial's.
    l2 : float, default=1e-4
        Weight decay lambda: the cost plus lambda/2 sum ||W||^2 (biases are not decayed).
    dropout : float in [0, 1), default=0.0
        Probability of dropping each hidden node while training (inverted dropout).
    initializer : {'auto', 'he', 'xavier', 'tutorial'}, default='auto'
        Initial weights. 'auto' is 'he' for relu and leaky_relu, 'xavier' otherwise;
        'tutorial' is uniform [0, 1) for weights and biases, as in the tutorial.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified for the classifier), stop
        when its cost (not its score, unlike scikit-learn's MLP) has not improved for
        ``patience`` epochs and keep the weights of the epoch with the lowest validation
        cost. Ignored by ``partial_fit``.
    validation_fraction : float in (0, 1), default=0.1
        Share of the training data held out for early stopping.
    patience : int, default=10
        Epochs without improvement of the validation cost before early stopping.
    warm_start : bool, default=False
        When True, ``fit`` continues from the fitted network for another ``max_iter``
        epochs (same classes, same architecture) instead of starting again.
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None
        Seed for the initial weights, shuffling, dropout and the validation split. An int
        gives the same numbers as ``neuralpath.pipeline.train_preset(seed=...)``. numpy's
        global random state is never used.
    dtype : {'float64', 'float32'}, default='float64'
        Precision of the weights and of the computation.
    verbose : bool or int, default=False
        Log one line per epoch (cost, validation score) at INFO level to the logger
        ``neuralpath.estimator``; the library never prints. Enable it with, e.g.,
        ``logging.basicConfig(level=logging.INFO)``.
"""

_ATTRIBUTES_DOC = """
    coefs_ : list of ndarray
        ``coefs_[l]`` has shape (s_{l+1}, s_l): the tutorial's W^(l+1), the transpose of
        ``MLPClassifier.coefs_[l]``. These are the network's arrays.
    intercepts_ : list of ndarray
        ``intercepts_[l]`` has shape (s_{l+1},): the tutorial's b^(l+1).
    loss_curve_ : list of float
        Mean cost of each epoch over its batches as trained on (the data cost J, without
        the L2 term; ``neuralpath.History.train_cost``), continued by warm starts. With
        full batches it is the tutorial's ``avg_cost_func``.
    validation_scores_ : list of float or None
        The score on the held-out part after each epoch with ``early_stopping``, else None.
    best_validation_score_ : float or None
        With ``early_stopping``, the validation score of the epoch with the lowest
        validation cost: the epoch whose weights the estimator keeps.
    n_iter_ : int
        Epochs run (added up over warm starts and ``partial_fit`` calls).
    stopped_ : str
        How the last training ended: 'completed', 'early_stopping', 'interrupted' (Ctrl-C)
        or 'diverged'.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``fit`` was given a DataFrame with string column names.
    n_outputs_ : int
        Nodes in the output layer.
    network_ : neuralpath.Network
        The trained engine network.
"""


class NeuralNetworkClassifier(ClassifierMixin, _BaseNeuralNetwork):
    __doc__ = f"""A feed-forward neural network classifier trained by neuralpath's engine.

    One output node per class, for two classes as well: binary problems use a two-class
    softmax by default (equal to logistic regression on the network's last layer), so
    ``predict_proba`` has one column per class and a saved classifier is an ordinary
    neuralpath model that the CLI and the web page read the same way. Targets are one-hot
    rows in the order of ``classes_`` (sorted labels), as the tutorial's section 5.3.

    Parameters
    ----------{_COMMON_DOC}    output_activation : {{'softmax', 'sigmoid'}}, default='softmax'
        'sigmoid' gives independent per-class outputs, as the tutorial's network;
        ``predict_proba`` then divides them by their sum.
    cost : {{'cross_entropy', 'quadratic'}}, default='cross_entropy'
        'quadratic' is the tutorial's J = 1/2 ||y - h||^2.

    Attributes
    ----------
    classes_ : ndarray
        The sorted labels, one per output node.{_ATTRIBUTES_DOC}
    Notes
    -----
    A run whose cost turns NaN or infinite raises ``NeuralNetworkDiverged`` (a
    ``ValueError``), as scikit-learn's MLP raises ``ValueError`` for non-finite weights.
    Ctrl-C during ``fit`` stops after a complete step with a warning and keeps the model.
    Pickling works; ``save``/``load`` need no pickle.

    The tutorial's network::

        NeuralNetworkClassifier(hidden_layer_sizes=(30,), activation="sigmoid",
            output_activation="sigmoid", cost="quadratic", optimizer="gd",
            learning_rate=0.25, max_iter=3000, batch_size=None, l2=0.0,
            initializer="tutorial", random_state=seed)
    """

    _parameter_constraints: dict = {
        **_BaseNeuralNetwork._parameter_constraints,
        "output_activation": [StrOptions({"softmax", "sigmoid"})],
        "cost": [StrOptions(set(COSTS))],
    }

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *,
                 output_activation: str = "softmax", cost: str = "cross_entropy",
                 optimizer: str = "adam", learning_rate: float = 0.001,
                 schedule: str = "constant", max_iter: int = 200, batch_size: int | None = 200,
                 l2: float = 1e-4, dropout: float = 0.0, initializer: str = "auto",
                 early_stopping: bool = False, validation_fraction: float = 0.1,
                 patience: int = 10, warm_start: bool = False, random_state: Any = None,
                 dtype: Any = "float64", verbose: Any = False) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output_activation = output_activation
        self.cost = cost
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.l2 = l2
        self.dropout = dropout
        self.initializer = initializer
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.warm_start = warm_start
        self.random_state = random_state
        self.dtype = dtype
        self.verbose = verbose

    def _output_activation_name(self):
        return self.output_activation

    def _cost_name(self):
        return self.cost

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> NeuralNetworkClassifier:
        """Train on X (n_samples, n_features) and labels y (n_samples,); returns self."""
        return self._fit(X, y, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> NeuralNetworkClassifier:
        """One epoch over (X, y), continuing the network (and the optimizer's state).

        ``classes`` (every label that will ever be seen) is required on the first call
        and must not change afterwards; ``y`` may hold any subset of it.
        """
        return self._fit(X, y, incremental=True, classes=classes)

    def _targets(self, X, y, continuing, incremental, classes):
        X, y = validate_data(self, X, y, reset=not continuing, dtype=_FLOAT_DTYPES)
        check_classification_targets(y)
        seen = unique_labels(y)
        if continuing:
            if classes is not None and not np.array_equal(unique_labels(classes), self.classes_):
                raise ValueError(f"classes must be the classes_ of the first call, "
                                 f"{self.classes_.tolist()}, got {list(classes)!r}")
            if self.warm_start and not incremental and not np.array_equal(seen, self.classes_):
                raise ValueError("warm_start needs y to have the same classes as the previous "
                                 f"fit, {self.classes_.tolist()}, got {seen.tolist()}")
            labels = self.classes_
        elif incremental:
            if classes is None:
                raise ValueError("classes must be given on the first call to partial_fit: "
                                 "every label that will be seen, e.g. np.unique(y_all)")
            labels = unique_labels(classes)
        else:
            labels = seen
        if len(labels) < 2:
            raise ValueError("a classifier needs at least 2 classes, got 1 class: "
                             f"{labels.tolist()}")
        unknown = np.setdiff1d(seen, labels)
        if len(unknown):
            raise ValueError(f"y has labels that are not in classes_ {labels.tolist()}: "
                             f"{unknown.tolist()}")
        self.classes_ = labels
        self.n_outputs_ = len(labels)
        return X, one_hot(y, labels)  # (m, k), the tutorial's section 5.3

    def _score_outputs(self, output, Y):
        return accuracy(output, Y)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class, columns in the order of ``classes_``: (n_samples, k).

        A softmax output is a distribution already; sigmoid outputs are independent scores
        in (0, 1) and are divided by their row sum.
        """
        return probabilities(self._output(X), self.network_)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log of ``predict_proba`` (-inf where a probability is 0)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """The label of the largest output for each row (the tutorial's ``predict_y``)."""
        out = self._output(X)  # checks fitted first
        return self.classes_[out.argmax(axis=1)]

    def _output_labels(self):
        return self.classes_

    def _extra_fitted_metadata(self):
        return {}

    def _restore_fitted(self, model, fitted):
        self.classes_ = model.classes
        self.n_outputs_ = len(model.classes)


class NeuralNetworkRegressor(RegressorMixin, _BaseNeuralNetwork):
    __doc__ = f"""A feed-forward neural network regressor trained by neuralpath's engine.

    The output layer is linear (identity activation), one node per target, and the cost is
    the tutorial's quadratic J = 1/2 ||y - h||^2 averaged over samples. Targets are not
    scaled: for targets far from unit scale, wrap the regressor in
    ``sklearn.compose.TransformedTargetRegressor``. ``predict`` returns the shape of the
    ``y`` given to ``fit``: (n_samples,) for 1-D y, (n_samples, n_targets) for 2-D.

    Parameters
    ----------{_COMMON_DOC}
    Attributes
    ----------{_ATTRIBUTES_DOC}
    Notes
    -----
    A run whose cost turns NaN or infinite raises ``NeuralNetworkDiverged`` (a
    ``ValueError``). ``save`` stores the output index 0..n_outputs-1 in the model file's
    ``classes`` entry (a regressor has no labels).
    """

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *,
                 optimizer: str = "adam", learning_rate: float = 0.001,
                 schedule: str = "constant", max_iter: int = 200, batch_size: int | None = 200,
                 l2: float = 1e-4, dropout: float = 0.0, initializer: str = "auto",
                 early_stopping: bool = False, validation_fraction: float = 0.1,
                 patience: int = 10, warm_start: bool = False, random_state: Any = None,
                 dtype: Any = "float64", verbose: Any = False) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.l2 = l2
        self.dropout = dropout
        self.initializer = initializer
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.warm_start = warm_start
        self.random_state = random_state
        self.dtype = dtype
        self.verbose = verbose

    def _output_activation_name(self):
        return "identity"

    def _cost_name(self):
        return "quadratic"

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> NeuralNetworkRegressor:
        """Train on X (n_samples, n_features) and y (n_samples,) or (n_samples, n_targets)."""
        return self._fit(X, y, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X: Any, y: Any) -> NeuralNetworkRegressor:
        """One epoch over (X, y), continuing the network (and the optimizer's state)."""
        return self._fit(X, y, incremental=True)

    def _targets(self, X, y, continuing, incremental, classes):
        X, y = validate_data(self, X, y, reset=not continuing, dtype=_FLOAT_DTYPES,
                             multi_output=True, y_numeric=True)
        Y = y.reshape(len(y), -1)  # (m, n_targets)
        if continuing and Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y must have {self.n_outputs_} target column(s) like the fitted "
                             f"network, got {Y.shape[1]}")
        self.n_outputs_ = Y.shape[1]
        self._y_ndim = y.ndim
        return X, Y

    def _score_outputs(self, output, Y):
        if len(Y) < 2:  # R^2 needs a variance: undefined on one validation sample
            return float("nan")
        return float(r2_score(Y, output))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets: (n_samples,) if fitted on 1-D y, else (n_samples, n_targets)."""
        out = self._output(X)
        return out[:, 0] if self._y_ndim == 1 else out

    def _output_labels(self):
        return np.arange(self.n_outputs_)

    def _extra_fitted_metadata(self):
        return {"y_ndim": int(self._y_ndim)}

    def _restore_fitted(self, model, fitted):
        self.n_outputs_ = int(model.network.layer_sizes[-1])
        self._y_ndim = int(fitted["y_ndim"])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _input_range(X, previous, continuing):
    """The smallest and largest input seen in fitting (kept so that a saved model can say
    whether it expects raw pixels or preprocessed features)."""
    lo, hi = float(np.min(X)), float(np.max(X))
    if continuing and previous is not None:
        lo, hi = min(lo, previous[0]), max(hi, previous[1])
    return (lo, hi)
