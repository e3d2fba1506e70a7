"""scikit-learn estimators on neuralpath's engine: ``NeuralNetworkClassifier`` and
``NeuralNetworkRegressor``, drop-ins for ``MLPClassifier`` and ``MLPRegressor``.

They take MLPClassifier's and MLPRegressor's parameters with the same meanings (solver
sgd/adam/lbfgs, learning_rate constant/invscaling/adaptive, alpha, tol, n_iter_no_change,
early stopping on the validation score, ...) and have the same fitted attributes with the same
shapes, so code written for scikit-learn's MLP runs after changing one import; beside them they
take neuralpath's own: ``cost`` (the tutorial's quadratic J), ``output_activation``, ``dropout``,
``initializer`` and ``dtype``. The outer loop is scikit-learn's, step for step (the same
random numbers for the same ``random_state``); the forward pass, backpropagation, dropout
and updates are the engine's: ``Network.backprop`` on the estimator's weights, the engine's
optimizers and ``SampleSchedule``. No second engine lives here.

Orientation: ``coefs_[l]`` is (n_in, n_out) as in scikit-learn, the *transpose* of the
tutorial's ``W[l]`` (s_{l+1}, s_l) that ``Network`` keeps; ``network_`` gives the engine's
``Network`` whose ``W[l]`` is ``coefs_[l].T`` (a view: the same numbers).

Printing: with ``verbose`` the estimators print one line per epoch to stdout, exactly as
scikit-learn's MLP does (that is scikit-learn's contract), the one place where the library
prints.
"""
from __future__ import annotations

import os
import warnings
from itertools import pairwise
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d, gen_batches, shuffle
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .activations import ACTIVATIONS
from .blas import blas_threads
from .costs import outputs_for
from .errors import ModelFileError, TrainingDiverged
from .initializers import INITIALIZERS
from .model import TrainedModel, features_input
from .model import load as _load_model
from .model import save as _save_model
from .network import Network
from .optimizers import (
    OPTIMIZERS,
    Adam,
    Momentum,
    Nesterov,
    Optimizer,
    SampleSchedule,
    make_optimizer,
)

__all__ = ["NeuralNetworkClassifier", "NeuralNetworkDiverged", "NeuralNetworkRegressor",
           "to_model"]

_FLOAT_DTYPES = (np.float64, np.float32)
# scikit-learn's solvers; every other name of optimizers.OPTIMIZERS is the engine's optimizer of
# that name (its own settings in optimizer_options), so a new engine optimizer reaches the
# estimators as it is added. 'sgd' and 'adam' keep scikit-learn's meaning.
_SKLEARN_SOLVERS = ("lbfgs", "sgd", "adam")
# scikit-learn's activation names -> the engine's (the engine calls the logistic 'sigmoid')
_ENGINE_ACTIVATION = {"identity": "identity", "logistic": "sigmoid", "sigmoid": "sigmoid",
                      "tanh": "tanh", "relu": "relu", "leaky_relu": "leaky_relu",
                      "softmax": "softmax", "exp": "exp"}
_SKLEARN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")
_NON_FINITE = ("Solver produced non-finite parameter weights. The input data may contain "
               "large values and need to be preprocessed.")


_FITTED = ("n_features_in_", "feature_names_in_", "n_iter_", "t_", "n_layers_", "n_outputs_",
           "out_activation_", "loss_", "best_loss_", "loss_curve_", "validation_scores_",
           "best_validation_score_")


def _jsonable(value):
    """A parameter or fitted attribute as JSON (a RandomState or Generator is None)."""
    if isinstance(value, (np.random.RandomState, np.random.Generator)):
        return None
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, type):
        return np.dtype(value).name
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def _scaler_affine(step: Any) -> tuple[np.ndarray, np.ndarray]:
    """(mean, scale) with step.transform(X) == (X - mean) / scale, for the supported scalers."""
    from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, StandardScaler
    check_is_fitted(step)
    n = step.n_features_in_
    if type(step) is StandardScaler:
        mean = step.mean_ if step.with_mean else np.zeros(n)
        scale = step.scale_ if step.with_std else np.ones(n)
        return np.asarray(mean, float), np.asarray(scale, float)
    if type(step) is MinMaxScaler and not step.clip:
        # X * scale_ + min_ = (X - (-min_ / scale_)) / (1 / scale_)
        return -step.min_ / step.scale_, 1.0 / step.scale_
    if type(step) is MaxAbsScaler:
        return np.zeros(n), np.asarray(step.scale_, float)
    raise ValueError("a saved Pipeline may scale its inputs only with StandardScaler, "
                     "MinMaxScaler (clip=False) or MaxAbsScaler before a neuralpath estimator, "
                     f"got {step!r}")


def to_model(obj: Any) -> TrainedModel:
    """A fitted estimator, or a fitted Pipeline of scalers ending in one, as a ``TrainedModel``.

    The scalers (StandardScaler, MinMaxScaler, MaxAbsScaler, 'passthrough') are affine, so
    they fold into the model's one input scaling (X - mean) / scale: the model predicts on
    the pipeline's raw inputs, wherever it is loaded (``neuralpath.load``, the CLI, the page).

    Parameters
    ----------
    obj : NeuralNetworkClassifier, NeuralNetworkRegressor or sklearn.pipeline.Pipeline

    Returns
    -------
    TrainedModel
    """
    from sklearn.pipeline import Pipeline
    if isinstance(obj, _BaseNeuralNetwork):
        return obj._model()
    if not isinstance(obj, Pipeline) or not obj.steps \
            or not isinstance(obj.steps[-1][1], _BaseNeuralNetwork):
        raise TypeError("expected a fitted NeuralNetworkClassifier or NeuralNetworkRegressor, "
                        "or a Pipeline ending in one, got " + type(obj).__name__)
    model = obj.steps[-1][1]._model()
    mean, scale = np.zeros(model.n_features), np.ones(model.n_features)  # (s_1,)
    for _, step in obj.steps[:-1]:
        if step is None or step == "passthrough":
            continue
        m, s = _scaler_affine(step)
        # ((X - mean) / scale - m) / s = (X - (mean + m scale)) / (scale s)
        mean, scale = mean + m * scale, scale * s
    model.scaler_mean, model.scaler_scale = mean, scale
    model.metadata["pipeline"] = [name for name, _ in obj.steps]
    model.metadata["inputs"] = features_input(None)  # the pipeline's own inputs, whatever
    return model


class NeuralNetworkDiverged(TrainingDiverged, ValueError):
    """Training produced non-finite weights (a NaN or infinite cost).

    It is a ``ValueError``, what scikit-learn's MLP raises for non-finite weights (so
    ``GridSearchCV`` scores such a candidate ``error_score`` and goes on), and a
    ``neuralpath.TrainingDiverged``.
    """


class _Solver:
    """What sgd and adam continue with (partial_fit, warm_start): the engine's optimizer and
    the schedule that hands it its rate. ``learning_rate`` is scikit-learn's attribute."""

    def __init__(self, solver: str, optimizer: Optimizer, schedule: SampleSchedule) -> None:
        self.solver, self.optimizer, self.schedule = solver, optimizer, schedule

    @property
    def learning_rate(self) -> float:
        return self.schedule.learning_rate


# scikit-learn's messages when the loss (or score) stops improving, by the schedule's answer
_PLATEAU = {"stop": "{msg} Stopping.", "too small": "{msg} Learning rate too small. Stopping.",
            "lowered": "{msg} Setting learning rate to {rate:f}"}


class _BaseNeuralNetwork(BaseEstimator):
    """What the classifier and the regressor share: parameters, training, the way out."""

    _parameter_constraints: ClassVar[dict] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu", "sigmoid",
                                   "leaky_relu"})],
        "solver": [StrOptions(set(_SKLEARN_SOLVERS) | set(OPTIMIZERS))],
        "optimizer_options": [dict, None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left"),
                       None],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state", np.random.Generator],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"),
                             Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "initializer": [StrOptions({"auto"} | set(INITIALIZERS))],
        "dtype": [None, StrOptions({"float64", "float32"}),
                  Options(type, {np.float64, np.float32})],
    }

    # --- what the subclasses define -------------------------------------------------------
    def _validate_input(self, X, y, incremental, reset):
        raise NotImplementedError

    def _output_activation_for(self, Y) -> str:
        raise NotImplementedError

    def _loss_name(self) -> str:
        raise NotImplementedError

    def _predict(self, X, check_input=True):
        raise NotImplementedError

    def _score_function(self):
        raise NotImplementedError

    # --- the network ----------------------------------------------------------------------
    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if any(not isinstance(s, Integral) or s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _init_coef(self, fan_in, fan_out, dtype, rng):
        """(coef (fan_in, fan_out), intercept (fan_out,)) for one layer.

        'auto' is scikit-learn's Glorot uniform draw from the RandomState (the same numbers
        as MLPClassifier for the same ``random_state``); the others come from the engine's
        table, drawn as (s_{l+1}, s_l) and transposed.
        """
        if self.initializer == "auto":
            factor = 2.0 if self.activation in ("logistic", "sigmoid") else 6.0
            bound = np.sqrt(factor / (fan_in + fan_out))
            coef = self._random_state.uniform(-bound, bound, (fan_in, fan_out))
            intercept = self._random_state.uniform(-bound, bound, fan_out)
        else:
            W, intercept = INITIALIZERS[self.initializer](rng, fan_out, fan_in)
            coef = np.ascontiguousarray(W.T)  # (s_l, s_{l+1})
        return coef.astype(dtype, copy=False), intercept.astype(dtype, copy=False)

    def _initialize(self, Y, layer_units, dtype):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._output_activation_for(Y)
        rng = None
        if self.initializer != "auto":
            # the engine's initializers draw from a Generator: the int seed itself when
            # given, so 'tutorial' gives the same weights as Network(..., random_state=seed)
            seed = self.random_state if isinstance(self.random_state, Integral) else \
                int(self._random_state.randint(np.iinfo(np.int32).max))
            rng = np.random.default_rng(seed)
        self.coefs_, self.intercepts_ = [], []
        for fan_in, fan_out in pairwise(layer_units):
            coef, intercept = self._init_coef(fan_in, fan_out, dtype, rng)
            self.coefs_.append(coef)
            self.intercepts_.append(intercept)
        self._best_coefs = [c.copy() for c in self.coefs_]
        self._best_intercepts = [b.copy() for b in self.intercepts_]
        if self.solver != "lbfgs":
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _check_random_state(self):
        """A RandomState of our own: a seed, a given RandomState or Generator, never numpy's
        global state (``random_state=None`` seeds a new one from the operating system)."""
        rs = self.random_state
        if rs is None:
            return np.random.RandomState(np.random.SeedSequence().generate_state(1)[0])
        if isinstance(rs, np.random.Generator):
            return np.random.RandomState(int(rs.integers(np.iinfo(np.int32).max)))
        return check_random_state(rs)

    # --- the engine ---------------------------------------------------------------------
    def _network(self) -> Network:
        """The engine's ``Network`` on these weights: ``W[l]`` is ``coefs_[l].T`` (s_{l+1},
        s_l) and ``b[l]`` is ``intercepts_[l]``, views, so the engine's updates change the
        estimator's arrays. Kept between calls (with its workspaces) and pointed at the
        current arrays each time: lbfgs and early stopping replace them."""
        W = [c.T for c in self.coefs_]  # (s_{l+1}, s_l), no copy
        b = list(self.intercepts_)
        cost = self._loss_name()
        key = ([w.shape for w in W], W[0].dtype, self.activation, self.out_activation_, cost)
        net = self.__dict__.get("_net")
        if net is None or self.__dict__.get("_net_key") != key:
            initializer = "xavier" if self.initializer == "auto" else self.initializer
            net = Network.from_weights(W, b, _ENGINE_ACTIVATION[self.activation],
                                       _ENGINE_ACTIVATION[self.out_activation_], cost,
                                       initializer, copy=False)
            self._net, self._net_key = net, key
        net.W, net.b = W, b
        return net

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_net", None)  # workspaces and views: rebuilt on first use
        state.pop("_net_key", None)
        return state

    def _forward_pass_fast(self, X, check_input=True):
        if check_input:
            X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        return self._network().predict_output(X)  # (m, n_outputs)

    def _dropout_masks(self, m):
        """The engine's ``masks`` (``masks[l]`` for hidden layer l, inverted dropout),
        drawn from the estimator's RandomState."""
        if not self.dropout:
            return None
        keep = 1.0 - self.dropout
        dtype = self.coefs_[0].dtype
        return [None] + [
            (self._random_state.random_sample((m, c.shape[1])) < keep).astype(dtype) / keep
            for c in self.coefs_[:-1]]

    def _backprop(self, X, Y, sw, masks=None, net=None):
        """J (with alpha's L2 term) and its gradients from the engine's ``backprop``.

        scikit-learn scales the L2 term alpha/2 sum ||W||^2 by the batch's total weight
        (m unweighted), so the engine gets lambda = alpha / sum(w). Returns ``(loss, grad_W,
        grad_b)`` with the engine's (s_{l+1}, s_l) gradients, the network's arrays. ``net``:
        the network on these weights when the caller holds it (the training loop), else
        ``_network()`` points one at the current arrays.
        """
        sw_sum = X.shape[0] if sw is None else float(sw.sum())
        net = self._network() if net is None else net
        return net.backprop(X, Y, self.alpha / sw_sum, masks, sample_weight=sw)

    def _loss_grad_lbfgs(self, packed_coef_inter, X, y, sample_weight, activations, deltas,
                         coef_grads, intercept_grads):
        """The loss and its gradient at ``packed_coef_inter``, in scikit-learn's packed form
        (every coefs_[l] flattened, then every intercepts_[l]), computed by the engine.

        scikit-learn's signature: ``activations`` and ``deltas`` are not used (the engine
        keeps its own); ``coef_grads[l]`` (s_l, s_{l+1}) and ``intercept_grads[l]`` are set.
        """
        self._unpack(packed_coef_inter)
        loss, gW, gb = self._backprop(X, y, sample_weight)
        for l, (g, v) in enumerate(zip(gW, gb)):
            coef_grads[l], intercept_grads[l] = g.T, v  # (s_l, s_{l+1}), as coefs_[l]
        return loss, np.hstack([g.T.ravel() for g in gW] + list(gb))

    def _unpack(self, packed):
        """Point coefs_ and intercepts_ at their parts of the packed vector (views)."""
        shapes = [c.shape for c in self.coefs_] + [b.shape for b in self.intercepts_]
        bounds = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
        parts = [packed[a:b].reshape(s) for a, b, s in zip(bounds[:-1], bounds[1:], shapes)]
        n = len(self.coefs_)
        self.coefs_, self.intercepts_ = parts[:n], parts[n:]

    def _multilabel(self) -> bool:
        return False

    # --- training -------------------------------------------------------------------------
    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden = self._hidden_sizes()
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        self._input_range = _input_range(X, getattr(self, "_input_range", None), first_pass)
        if self.dtype is not None:
            X = X.astype(np.dtype(self.dtype), copy=False)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        if self.dropout and self.solver == "lbfgs":
            raise ValueError("dropout must be 0 with solver='lbfgs' (its objective must not "
                             f"change between evaluations), got dropout={self.dropout!r}")
        Y = y.reshape((-1, 1)) if y.ndim == 1 else y  # (m, n_outputs)
        self.n_outputs_ = Y.shape[1]
        layer_units = [X.shape[1], *hidden, self.n_outputs_]
        self._random_state = self._check_random_state()
        if first_pass:
            self._initialize(Y, layer_units, X.dtype)
        batch = self._batch_of(X.shape[0])
        with np.errstate(over="ignore", invalid="ignore"), blas_threads(layer_units, batch):
            if self.solver != "lbfgs":
                self._fit_stochastic(X, Y, sample_weight, incremental)
            else:
                self._fit_lbfgs(X, Y, sample_weight)
        if not all(np.isfinite(w).all() for w in [*self.coefs_, *self.intercepts_]):
            raise NeuralNetworkDiverged(_NON_FINITE, None)
        return self

    def _batch_of(self, m: int, warn: bool = False) -> int:
        """The rows of one step on ``m`` training rows: all of them for lbfgs and for
        ``batch_size=None`` (neuralpath: the tutorial's full batch), 200 at most for "auto";
        scikit-learn's warning when a given size is clipped (``warn``)."""
        if self.solver == "lbfgs" or self.batch_size is None:
            return m
        if self.batch_size == "auto":
            return min(200, m)
        if warn and self.batch_size > m:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                          "going to be clipped", stacklevel=5)
        return int(np.clip(self.batch_size, 1, m))

    def _fit_lbfgs(self, X, Y, sw):
        n = len(self.coefs_)
        coef_grads, intercept_grads = [None] * n, [None] * n

        def loss_grad(theta):
            return self._loss_grad_lbfgs(theta, X, Y, sw, None, None, coef_grads,
                                         intercept_grads)

        iteration = [0]

        def report(intermediate_result):
            iteration[0] += 1
            print(f"Iteration {iteration[0]}, loss = {intermediate_result.fun:.8f}")

        theta0 = np.hstack([p.ravel() for p in self.coefs_ + self.intercepts_])
        result = scipy.optimize.minimize(
            loss_grad, theta0, method="L-BFGS-B", jac=True,
            callback=report if self.verbose else None,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol})
        if result.status != 0:
            message = result.message
            if isinstance(message, bytes):
                message = message.decode("latin1")
            warnings.warn(
                f"lbfgs failed to converge after {result.nit} iteration(s) (status="
                f"{result.status}): {message}. Increase max_iter (it is {self.max_iter}) or "
                f"max_fun (it is {self.max_fun}), or scale the data.",
                ConvergenceWarning, stacklevel=4)
        self.n_iter_ = min(int(result.nit), self.max_iter)
        self.loss_ = float(result.fun)
        self._unpack(result.x.astype(X.dtype, copy=False))

    def _new_solver(self) -> _Solver:
        """The engine's optimizer for the solver: scikit-learn's sgd is momentum or Nesterov
        momentum, its adam is Adam with epsilon where scikit-learn puts it; any other name is
        the engine's optimizer of that name with ``optimizer_options``, on the
        ``learning_rate`` schedule."""
        options = self.optimizer_options or {}
        if options and self.solver in _SKLEARN_SOLVERS:
            raise ValueError(f"optimizer_options are the settings of the engine's optimizers "
                             f"({', '.join(sorted(set(OPTIMIZERS) - set(_SKLEARN_SOLVERS)))}); "
                             f"solver={self.solver!r} takes scikit-learn's parameters instead, "
                             f"got optimizer_options={options!r}")
        if self.solver not in _SKLEARN_SOLVERS:
            optimizer: Optimizer = make_optimizer(self.solver, **options)
            schedule = SampleSchedule(self.learning_rate, self.learning_rate_init, self.power_t)
        elif self.solver == "sgd":
            kind = Nesterov if self.nesterovs_momentum else Momentum
            optimizer = kind(momentum=self.momentum)
            schedule = SampleSchedule(self.learning_rate, self.learning_rate_init, self.power_t)
        else:
            optimizer = Adam(self.beta_1, self.beta_2, self.epsilon, epsilon_hat=True)
            schedule = SampleSchedule("constant", self.learning_rate_init)
        return _Solver(self.solver, optimizer, schedule)

    def _fit_stochastic(self, X, Y, sw, incremental):
        # partial_fit, and (unlike scikit-learn's MLP) a warm start, go on with the optimizer's
        # state: momentum velocities, Adam's moments and step count, the adaptive rate, so that
        # a run continued in two fits ends where one fit of both lengths would
        keep = (incremental or self.warm_start) and \
            getattr(getattr(self, "_optimizer", None), "solver", None) == self.solver
        if not keep:
            self._optimizer = self._new_solver()
        optimizer, schedule = self._optimizer.optimizer, self._optimizer.schedule
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        early_stopping = self.early_stopping
        if early_stopping:
            # stratified for a single-output classifier, not for multilabel
            stratify = Y if isinstance(self, ClassifierMixin) and self.n_outputs_ == 1 else None
            arrays = (X, Y) if sw is None else (X, Y, sw)
            parts = train_test_split(*arrays, random_state=self._random_state,
                                     test_size=self.validation_fraction, stratify=stratify)
            X_train, X_val, Y_train, Y_val = parts[:4]
            sw_train, sw_val = (parts[4], parts[5]) if sw is not None else (None, None)
            if X_val.shape[0] < 2:
                raise ValueError("The validation set is too small. Increase "
                                 "'validation_fraction' or the size of your dataset.")
            y_val = self._labels_of(Y_val)
        else:
            X_train, Y_train, sw_train = X, Y, sw
            X_val = y_val = sw_val = None
        Y_train = Y_train.astype(self.coefs_[0].dtype)  # the label indicators as numbers

        m = X_train.shape[0]
        index = np.arange(m, dtype=int)
        batch = self._batch_of(m, warn=True)
        # the network on coefs_, taken once: they are updated in place until the loop ends
        net = self._network()
        params = net.params
        try:
            self.n_iter_ = 0
            for _ in range(self.max_iter):
                if self.shuffle:
                    index = shuffle(index, random_state=self._random_state)
                accumulated = 0.0
                for part in gen_batches(m, batch):
                    rows = index[part] if self.shuffle else part
                    masks = self._dropout_masks(part.stop - part.start)
                    loss, grad_W, grad_b = self._backprop(
                        X_train[rows], Y_train[rows],
                        None if sw_train is None else sw_train[rows], masks, net)
                    accumulated += loss * (part.stop - part.start)
                    optimizer.update(params, grad_W + grad_b, schedule.learning_rate)
                self.n_iter_ += 1
                self.loss_ = accumulated / m
                self.t_ += m
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
                self._update_no_improvement_count(early_stopping, X_val, y_val, sw_val)
                schedule.epoch_ends(self.t_)
                if self._no_improvement_count > self.n_iter_no_change:
                    what = "Validation score" if early_stopping else "Training loss"
                    msg = (f"{what} did not improve more than tol={self.tol:f} for "
                           f"{self.n_iter_no_change} consecutive epochs.")
                    outcome = schedule.plateau()
                    if self.verbose:
                        print(_PLATEAU[outcome].format(msg=msg, rate=schedule.learning_rate))
                    if outcome != "lowered":
                        break
                    self._no_improvement_count = 0
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                                  "reached and the optimization hasn't converged yet.",
                                  ConvergenceWarning, stacklevel=4)
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", UserWarning, stacklevel=4)
        if early_stopping:  # the weights of the best validation score
            self.coefs_, self.intercepts_ = self._best_coefs, self._best_intercepts

    def _labels_of(self, Y):
        return Y

    def _update_no_improvement_count(self, early_stopping, X_val, y_val, sw_val):
        if early_stopping:
            score = self._score(X_val, y_val, sw_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_coefs = [c.copy() for c in self.coefs_]
                self._best_intercepts = [b.copy() for b in self.intercepts_]
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            self.best_loss_ = min(self.best_loss_, self.loss_curve_[-1])

    def _score(self, X, y, sample_weight=None):
        """The validation score without input validation (it would drop feature names)."""
        pred = self._predict(X, check_input=False)
        if np.issubdtype(pred.dtype, np.floating) and not np.isfinite(pred).all():
            return np.nan
        return float(self._score_function()(y, pred, sample_weight=sample_weight))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Train on X (n_samples, n_features), dense or sparse, and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (a label indicator matrix for multilabel) or real targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss and its gradient.

        Returns
        -------
        self
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    def _check_solver(self) -> bool:
        if self.solver == "lbfgs":
            raise AttributeError("partial_fit is only available for stochastic optimizers. "
                                 f"{self.solver} is not stochastic.")
        return True

    # --- the engine's view and the way out ------------------------------------------------
    @property
    def network_(self) -> Network:
        """The engine's ``Network`` with these weights: ``W[l]`` is ``coefs_[l].T`` (a view).

        The same network the estimator trains and predicts with (its cost is the
        estimator's loss, e.g. ``log_loss``).
        """
        check_is_fitted(self)
        initializer = "xavier" if self.initializer == "auto" else self.initializer
        W = [c.T for c in self.coefs_]  # (s_{l+1}, s_l), views of coefs_, not copies
        return Network.from_weights(W, self.intercepts_, _ENGINE_ACTIVATION[self.activation],
                                    _ENGINE_ACTIVATION[self.out_activation_], self._loss_name(),
                                    initializer, copy=False)

    def _export_layers(self) -> Any:
        """The network as ``export.Layers``: W[l] = coefs_[l].T, and how outputs become
        probabilities (what to_torch and to_onnx are built from)."""
        from .export import _CANONICAL, Layers
        check_is_fitted(self)
        W = [np.asarray(c).T for c in self.coefs_]  # (s_{l+1}, s_l)
        b = [np.asarray(v) for v in self.intercepts_]
        probabilities = None
        if isinstance(self, ClassifierMixin):
            if self.n_outputs_ == 1:
                probabilities = "binary"
            elif self.out_activation_ == "logistic" and not self._multilabel():
                probabilities = "normalise"
            else:
                probabilities = "as_is"
        return Layers(W, b, _CANONICAL[self.activation], _CANONICAL[self.out_activation_],
                      probabilities)

    def to_torch(self) -> Any:
        """A ``torch.nn.Sequential`` with the same weights, giving the same outputs.

        Needs the ``torch`` extra. The last module is the output activation (``Softmax``,
        ``Sigmoid``, or none for a regressor's identity); drop it (``module[:-1]``) to train
        on logits with PyTorch's own losses. See ``neuralpath.export.to_torch``.

        Returns
        -------
        torch.nn.Sequential
        """
        from .export import to_torch
        return to_torch(self)

    def to_onnx(self) -> Any:
        """An ``onnx.ModelProto`` computing this estimator's outputs (the ``onnx`` extra).

        Returns
        -------
        onnx.ModelProto
            See ``neuralpath.export.to_onnx``.
        """
        from .export import to_onnx
        return to_onnx(self)

    def _sklearn_params(self) -> dict:
        """The parameters scikit-learn's MLP takes, or ValueError naming what it lacks."""
        problems = []
        if self.activation not in _SKLEARN_ACTIVATIONS:
            problems.append(f"activation={self.activation!r}")
        if self.dropout:
            problems.append(f"dropout={self.dropout!r}")
        if self.initializer != "auto":
            problems.append(f"initializer={self.initializer!r}")
        if self.batch_size is None:
            problems.append("batch_size=None")
        if self.solver not in _SKLEARN_SOLVERS:
            problems.append(f"solver={self.solver!r}")
        problems += self._sklearn_problems()
        if problems:
            raise ValueError(f"{type(self).__name__} with " + ", ".join(problems) + " has no "
                             "scikit-learn equivalent; to_sklearn needs scikit-learn's settings")
        own = {"dropout", "initializer", "dtype", "cost", "output_activation",
               "optimizer_options"}
        params = {k: v for k, v in self.get_params().items() if k not in own}
        if isinstance(params["random_state"], np.random.Generator):
            params["random_state"] = None
        return params

    def _sklearn_problems(self) -> list[str]:
        return []

    def _copy_fitted_to(self, est):
        for name in ("coefs_", "intercepts_"):
            setattr(est, name, [a.copy() for a in getattr(self, name)])
        for name in ("n_features_in_", "feature_names_in_", "n_iter_", "t_", "n_layers_",
                     "n_outputs_", "out_activation_", "loss_", "best_loss_", "loss_curve_",
                     "validation_scores_", "best_validation_score_"):
            if hasattr(self, name):
                setattr(est, name, getattr(self, name))
        return est

    # --- saving ---------------------------------------------------------------------------
    def _model(self) -> TrainedModel:
        """This estimator as a neuralpath ``TrainedModel`` (identity scaler, one output node
        per class), what the CLI and the web page read.

        A binary classifier's single logistic output p = sigmoid(z) is written as the
        two-class softmax over (0, z), which gives (1 - p, p): the same probabilities.
        """
        check_is_fitted(self)
        if self.out_activation_ == "exp":
            raise ValueError("a neuralpath model file has no exponential output: "
                             "loss='poisson' cannot be saved; use to_onnx or pickle")
        net = self.network_
        labels = np.arange(self.n_outputs_)
        binary = False
        if isinstance(self, ClassifierMixin):
            if self._multilabel():
                raise ValueError("a neuralpath model file holds one label per sample: a "
                                 "multilabel classifier cannot be saved; use to_onnx or pickle")
            labels = self.classes_
            binary = self.n_outputs_ == 1
        if binary:
            W = [*net.W[:-1], np.vstack([np.zeros_like(net.W[-1]), net.W[-1]])]  # (2, s_l)
            b = [*net.b[:-1], np.concatenate([np.zeros_like(net.b[-1]), net.b[-1]])]  # (2,)
            net = Network.from_weights(W, b, net.activation.name, "softmax", "cross_entropy",
                                       net.initializer)
        fitted = {name: _jsonable(getattr(self, name)) for name in _FITTED
                  if hasattr(self, name)}
        meta = {"estimator": type(self).__name__, "binary": binary, "fitted": fitted,
                "params": {k: _jsonable(v) for k, v in self.get_params().items()},
                "inputs": features_input(getattr(self, "_input_range", None))}
        n_in = self.n_features_in_
        return TrainedModel(net, np.zeros(n_in), np.ones(n_in), labels, meta)

    def save(self, path: str | os.PathLike) -> str:
        """Write the fitted estimator to ``path``, one neuralpath ``.npz`` model (no pickle).

        The file is an ordinary neuralpath model (``neuralpath.load``, the CLI and the web
        page read it) with an identity scaler; the parameters and fitted attributes are in
        its metadata, so ``load`` gives back an estimator that predicts the same. Optimizer
        state (momentum, Adam moments) is not saved.

        Parameters
        ----------
        path : str or os.PathLike
            Where to write (atomically).

        Returns
        -------
        pathlib.Path
            The path written.
        """
        return _save_model(self._model(), path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Any:
        """Read an estimator written by ``save``.

        Parameters
        ----------
        path : str or os.PathLike

        Returns
        -------
        estimator
            A fitted estimator that predicts as the one saved.
        """
        model = _load_model(path)
        meta = model.metadata
        if meta.get("estimator") != cls.__name__:
            what = meta.get("estimator") or "not by an estimator (no 'estimator' entry)"
            raise ModelFileError(f"{path} was not saved by {cls.__name__}.save (it was saved "
                                 f"{'by ' + what if meta.get('estimator') else what}); "
                                 "load it with neuralpath.load")
        try:
            params = dict(meta["params"])
            if isinstance(params.get("hidden_layer_sizes"), list):
                params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
            if params.get("n_iter_no_change") == "inf":
                params["n_iter_no_change"] = np.inf  # _jsonable's spelling
            est = cls(**params)
            for name, value in meta["fitted"].items():
                if value in ("inf", "-inf"):  # _jsonable's spelling of infinite floats
                    value = float(value)
                setattr(est, name, value)
            net = model.network
            W, b = list(net.W), list(net.b)
            if meta.get("binary"):
                W[-1], b[-1] = W[-1][1:] - W[-1][:1], b[-1][1:] - b[-1][:1]
            est.coefs_ = [np.ascontiguousarray(w.T) for w in W]
            est.intercepts_ = [np.array(v) for v in b]
            if "feature_names_in_" in meta["fitted"]:
                est.feature_names_in_ = np.asarray(est.feature_names_in_, dtype=object)
            if isinstance(est, ClassifierMixin):
                est._label_binarizer = LabelBinarizer().fit(model.classes)
                est.classes_ = est._label_binarizer.classes_
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{path} is a damaged {cls.__name__} file ({exc})") from None
        return est

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


_COMMON_DOC = """
    hidden_layer_sizes : int or array-like of int, default=(100,)
        Nodes in each hidden layer; the input and output layers are sized from the data.
    activation : {'relu', 'logistic', 'tanh', 'identity', 'leaky_relu'}, default='relu'
        Hidden-layer activation. 'logistic' is the tutorial's sigmoid ('sigmoid' is accepted
        as the same); 'leaky_relu' is neuralpath's own (slope 0.01).
    solver : {'adam', 'sgd', 'lbfgs'} or an engine optimizer's name, default='adam'
        'sgd' is gradient descent with momentum, 'adam' Adam, 'lbfgs' scipy's L-BFGS-B on
        the whole data set (often best on small data sets), as in scikit-learn. neuralpath's
        own: any other name of ``neuralpath.optimizers.OPTIMIZERS`` ('gd', 'momentum',
        'nesterov', ...) trains with that engine optimizer, its settings given in
        ``optimizer_options`` and its rate by ``learning_rate_init`` and ``learning_rate``.
    alpha : float, default=1e-4
        L2 penalty: the loss plus alpha/2 sum ||W||^2 divided by the (weighted) number of
        samples in the batch, as scikit-learn scales it.
    batch_size : int, 'auto' or None, default='auto'
        Samples per step of sgd and adam; 'auto' is min(200, n_samples); None (neuralpath's
        own) is the whole data set, the tutorial's full-batch gradient descent.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        The schedule of sgd's step size: 'invscaling' is
        learning_rate_init / (t + 1)^power_t after t samples; 'adaptive' divides it by 5
        each time n_iter_no_change epochs pass without an improvement of tol.
    learning_rate_init : float, default=0.001
        The first step size (the tutorial's alpha), for sgd and adam.
    power_t : float, default=0.5
        The exponent of 'invscaling'.
    max_iter : int, default=200
        Epochs for sgd and adam, iterations for lbfgs.
    shuffle : bool, default=True
        Shuffle the samples every epoch (sgd and adam).
    random_state : int, RandomState, numpy.random.Generator or None, default=None
        Seed for the initial weights, shuffling, dropout and the validation split. An int
        gives the same initial weights and order of samples as scikit-learn's MLP with the
        same int. numpy's global random state is never used: None seeds a new generator
        from the operating system.
    tol : float, default=1e-4
        Training stops (or 'adaptive' lowers the rate) when the loss (or the validation
        score, with early_stopping) has not improved by tol for n_iter_no_change epochs.
    verbose : bool or int, default=False
        Print the loss of each epoch to stdout, as scikit-learn's MLP prints
        ("Iteration 1, loss = ..."); this is the only place the library prints.
    warm_start : bool, default=False
        Continue from the fitted weights instead of starting again, and with the
        optimizer's state (momentum, Adam's moments and step count): two warm fits of k
        epochs end as one fit of 2k would (without shuffling or stopping rules in the way).
        scikit-learn's MLP starts a new optimizer on each fit.
    momentum : float, default=0.9
        Momentum of sgd.
    nesterovs_momentum : bool, default=True
        Nesterov's momentum for sgd (with momentum > 0).
    early_stopping : bool, default=False
        Hold out validation_fraction of the data (stratified for one-output classifiers),
        stop when its score has not improved by tol for n_iter_no_change epochs, and keep
        the weights of the best score (sgd and adam).
    validation_fraction : float, default=0.1
        The share held out for early stopping.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's decay rates of the first and second moments.
    epsilon : float, default=1e-8
        Adam's numerical stability term.
    n_iter_no_change : int or np.inf, default=10
        Epochs without an improvement of tol before stopping (sgd and adam).
    max_fun : int, default=15000
        Most loss evaluations for lbfgs.
    dropout : float in [0, 1), default=0.0
        neuralpath's own: the probability of dropping each hidden node while training
        (inverted dropout; sgd and adam only).
    initializer : {'auto', 'tutorial', 'xavier', 'he'}, default='auto'
        neuralpath's own: 'auto' is scikit-learn's Glorot uniform draw (the same numbers as
        MLPClassifier); 'tutorial' is uniform [0, 1) for weights and biases, the tutorial's.
    dtype : {None, 'float64', 'float32'}, default=None
        neuralpath's own: the precision of weights and computation; None follows X
        (float32 data gives float32 weights, as scikit-learn does).
    optimizer_options : dict or None, default=None
        neuralpath's own: the settings of an engine optimizer named by ``solver``
        (``{"momentum": 0.5}``), checked by the optimizer.
"""

_ATTRIBUTES_DOC = """
    coefs_ : list of ndarray
        ``coefs_[l]`` has shape (n_in, n_out), as in scikit-learn: the transpose of the
        tutorial's W^(l+1); ``network_.W[l]`` is ``coefs_[l].T``.
    intercepts_ : list of ndarray
        ``intercepts_[l]`` has shape (n_out,): the tutorial's b^(l+1).
    loss_ : float
        The loss at the end of training (the mean over the last epoch for sgd and adam).
    best_loss_ : float or None
        The lowest ``loss_curve_`` value (None with early_stopping).
    loss_curve_ : list of float
        The loss of each epoch (sgd and adam).
    validation_scores_ : list of float or None
        The score on the held-out part after each epoch with early_stopping, else None.
    best_validation_score_ : float or None
        The best of ``validation_scores_`` (None without early_stopping).
    t_ : int
        Samples seen by the solver during fitting.
    n_iter_ : int
        Epochs (or lbfgs iterations) of the last fit.
    n_layers_ : int
        Layers, input and output included.
    n_outputs_ : int
        Output nodes.
    out_activation_ : str
        The output activation: 'logistic', 'softmax', 'identity' or 'exp'.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``fit`` was given a DataFrame with string column names.
    network_ : neuralpath.Network
        The engine's network with these weights (a property).
"""


class NeuralNetworkClassifier(ClassifierMixin, _BaseNeuralNetwork):
    __doc__ = f"""A multi-layer perceptron classifier: scikit-learn's ``MLPClassifier`` on
    neuralpath's engine, with the tutorial's choices beside scikit-learn's.

    Binary and multilabel problems have one logistic output per label, multiclass ones a
    softmax over the classes (as MLPClassifier); ``output_activation='logistic'`` gives
    the tutorial's independent sigmoid outputs for a multiclass problem, and
    ``cost='quadratic'`` its J = 1/2 ||y - h||^2.

    Parameters
    ----------{_COMMON_DOC}    cost : {{'log_loss', 'quadratic'}}, default='log_loss'
        neuralpath's own: 'quadratic' is the tutorial's J.
    output_activation : {{'auto', 'logistic', 'softmax'}}, default='auto'
        neuralpath's own: 'auto' is scikit-learn's choice (softmax for multiclass, logistic
        otherwise); 'logistic' on a multiclass problem gives one sigmoid per class, whose
        row-normalised outputs ``predict_proba`` returns.

    Attributes
    ----------
    classes_ : ndarray
        The class labels.{_ATTRIBUTES_DOC}
    Notes
    -----
    With ``verbose`` the estimator prints to stdout, as MLPClassifier does.
    ``to_sklearn()`` gives the equivalent fitted MLPClassifier, ``to_torch()`` a PyTorch
    module, ``to_onnx()`` an ONNX model.

    The tutorial's network (section 5: [64, 30, 10], sigmoid, quadratic cost, full-batch
    gradient descent with alpha = 0.25 for 3000 iterations, weights uniform [0, 1))::

        NeuralNetworkClassifier(hidden_layer_sizes=(30,), activation="logistic",
            output_activation="logistic", cost="quadratic", solver="sgd",
            learning_rate_init=0.25, momentum=0.0, alpha=0.0, batch_size=None,
            shuffle=False, max_iter=3000, n_iter_no_change=np.inf,
            initializer="tutorial", random_state=seed)
    """

    _parameter_constraints: ClassVar[dict] = {
        **_BaseNeuralNetwork._parameter_constraints,
        "cost": [StrOptions({"log_loss", "quadratic"})],
        "output_activation": [StrOptions({"auto", "logistic", "softmax"})],
    }

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001,
                 batch_size: int | str | None = "auto", learning_rate: str = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5, max_iter: int = 200,
                 shuffle: bool = True, random_state: Any = None, tol: float = 1e-4,
                 verbose: Any = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: float = 10, max_fun: int = 15000,
                 cost: str = "log_loss", output_activation: str = "auto", dropout: float = 0.0,
                 initializer: str = "auto", dtype: Any = None,
                 optimizer_options: dict | None = None) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.cost = cost
        self.output_activation = output_activation
        self.dropout = dropout
        self.initializer = initializer
        self.dtype = dtype
        self.optimizer_options = optimizer_options

    def _loss_name(self):
        return self.cost

    def _multilabel(self):
        return self._label_binarizer.y_type_.startswith("multilabel")

    def _output_activation_for(self, Y):
        multiclass = self._label_binarizer.y_type_ == "multiclass"
        if self.output_activation == "softmax" and not multiclass:
            raise ValueError("output_activation='softmax' needs a multiclass y (3 or more "
                             f"classes), got {self._label_binarizer.y_type_} y")
        if self.output_activation == "logistic" or not multiclass:
            return "logistic"
        return "softmax"

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=_FLOAT_DTYPES, reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in the "
                        f"previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError("`y` has classes not in `self.classes_`. `self.classes_` has "
                                 f"{self.classes_}. 'y' has {classes}.")
        # bool, so that float32 data is not upcast
        return X, self._label_binarizer.transform(y).astype(bool)

    def _labels_of(self, Y):
        return self._label_binarizer.inverse_transform(Y)

    def _score_function(self):
        return accuracy_score

    def _outputs(self, X, check_input=True):
        out = self._forward_pass_fast(X, check_input)  # (m, n_outputs)
        normalised = ACTIVATIONS[_ENGINE_ACTIVATION[self.out_activation_]].normalised
        if self.n_outputs_ > 1 and not normalised and not self._multilabel():
            # the tutorial's independent sigmoids: normalised into a distribution
            total = out.sum(axis=1, keepdims=True)
            out = np.divide(out, total, out=np.full_like(out, 1.0 / out.shape[1]),
                            where=total > 0)
        return out

    def _predict(self, X, check_input=True):
        out = self._outputs(X, check_input)
        if self.n_outputs_ == 1:
            out = out.ravel()
        return self._label_binarizer.inverse_transform(out)

    def predict(self, X: Any) -> np.ndarray:
        """The predicted class of each row (a label indicator row for multilabel).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self._predict(X)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None,
                    classes: Any = None) -> NeuralNetworkClassifier:
        """One epoch of sgd or adam over (X, y), continuing the network and the optimizer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
        sample_weight : array-like of shape (n_samples,), default=None
        classes : array-like, default=None
            Every label that will be seen; required on the first call.

        Returns
        -------
        self
        """
        if not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
            self.classes_ = self._label_binarizer.classes_
        elif classes is not None and not np.array_equal(self.classes_, unique_labels(classes)):
            raise ValueError(f"`classes={classes!r}` is not the same as on last call to "
                             f"partial_fit, was: {self.classes_!r}")
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict_proba(self, X: Any) -> np.ndarray:
        """The probability of each class, columns in the order of ``classes_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        out = self._outputs(X)
        if self.n_outputs_ == 1:
            p = out.ravel()
            return np.vstack([1 - p, p]).T
        return out

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

    def _sklearn_problems(self):
        problems = []
        if self.cost != "log_loss":
            problems.append(f"cost={self.cost!r}")
        if hasattr(self, "out_activation_") and self.out_activation_ == "logistic" \
                and self.n_outputs_ > 1 and not self._multilabel():
            problems.append("output_activation='logistic' on a multiclass problem")
        return problems

    def to_sklearn(self) -> Any:
        """The equivalent fitted ``sklearn.neural_network.MLPClassifier``.

        Same parameters, weights and fitted attributes, so it predicts the same. Raises
        ``ValueError`` for settings scikit-learn lacks (cost='quadratic', dropout, ...).

        Returns
        -------
        sklearn.neural_network.MLPClassifier
        """
        from sklearn.neural_network import MLPClassifier
        check_is_fitted(self)
        est = self._copy_fitted_to(MLPClassifier(**self._sklearn_params()))
        est.classes_ = self.classes_
        est._label_binarizer = self._label_binarizer
        return est

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class NeuralNetworkRegressor(RegressorMixin, _BaseNeuralNetwork):
    __doc__ = f"""A multi-layer perceptron regressor: scikit-learn's ``MLPRegressor`` on
    neuralpath's engine.

    The output layer is linear (identity) with the squared error, or exponential with
    ``loss='poisson'``. Targets are not scaled: for targets far from unit scale, wrap it in
    ``sklearn.compose.TransformedTargetRegressor``.

    Parameters
    ----------
    loss : {{'squared_error', 'poisson'}}, default='squared_error'
        Half the squared error (averaged over outputs, as scikit-learn does), or half the
        Poisson deviance with an exponential output.{_COMMON_DOC}
    Attributes
    ----------{_ATTRIBUTES_DOC}
    Notes
    -----
    With ``verbose`` the estimator prints to stdout, as MLPRegressor does.
    ``to_sklearn()`` gives the equivalent fitted MLPRegressor.
    """

    _parameter_constraints: ClassVar[dict] = {
        **_BaseNeuralNetwork._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(self, loss: str = "squared_error", hidden_layer_sizes: Any = (100,),
                 activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001,
                 batch_size: int | str | None = "auto", learning_rate: str = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5, max_iter: int = 200,
                 shuffle: bool = True, random_state: Any = None, tol: float = 1e-4,
                 verbose: Any = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: float = 10, max_fun: int = 15000,
                 dropout: float = 0.0, initializer: str = "auto", dtype: Any = None,
                 optimizer_options: dict | None = None) -> None:
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.initializer = initializer
        self.dtype = dtype
        self.optimizer_options = optimizer_options

    def _loss_name(self):
        return self.loss

    def _output_activation_for(self, Y):
        return outputs_for(self.loss)[0]  # the engine's one output for it: identity, exp

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=True, dtype=_FLOAT_DTYPES, reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def _score_function(self):
        return r2_score

    def _predict(self, X, check_input=True):
        out = self._forward_pass_fast(X, check_input)
        return out.ravel() if out.shape[1] == 1 else out

    def predict(self, X: Any) -> np.ndarray:
        """The predicted targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        check_is_fitted(self)
        return self._predict(X)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X: Any, y: Any,
                    sample_weight: Any = None) -> NeuralNetworkRegressor:
        """One epoch of sgd or adam over (X, y), continuing the network and the optimizer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def to_sklearn(self) -> Any:
        """The equivalent fitted ``sklearn.neural_network.MLPRegressor``.

        Returns
        -------
        sklearn.neural_network.MLPRegressor
        """
        from sklearn.neural_network import MLPRegressor
        check_is_fitted(self)
        return self._copy_fitted_to(MLPRegressor(**self._sklearn_params()))


def _input_range(X: Any, previous: Any, first_pass: bool) -> tuple[float, float]:
    """The smallest and largest input seen in fitting (kept so that a saved model can say
    whether it expects raw pixels or preprocessed features)."""
    lo, hi = float(X.min()), float(X.max())  # arrays and sparse matrices alike
    if not first_pass and previous is not None:
        lo, hi = min(lo, previous[0]), max(hi, previous[1])
    return (lo, hi)
