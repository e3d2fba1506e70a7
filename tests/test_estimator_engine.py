"""The estimators train on the engine: their loss and gradients are ``Network.backprop``'s.

For every (cost, output activation) pair the estimators use, with and without sample
weights, on dense and sparse inputs, the estimator's packed loss and gradient
(``_loss_grad_lbfgs``, scikit-learn's form) equal those of an engine ``Network`` built from
copies of the same weights, and, where scikit-learn has the same model, those of
scikit-learn's own ``MLPClassifier`` / ``MLPRegressor``: an oracle that shares no code.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse
from sklearn.exceptions import ConvergenceWarning

from neuralpath.estimator import NeuralNetworkClassifier, NeuralNetworkRegressor
from neuralpath.network import Network

RNG = np.random.default_rng(0)
X_DENSE = RNG.normal(size=(40, 6))
X_DENSE[RNG.random(X_DENSE.shape) < 0.5] = 0.0  # half zeros, so that sparse means something
WEIGHTS = RNG.uniform(0.2, 3.0, 40)

# (estimator, targets, the engine's (cost, output activation) it must train with)
CASES = {
    "binary log_loss": (NeuralNetworkClassifier(), RNG.integers(0, 2, 40),
                        ("log_loss", "sigmoid")),
    "multiclass log_loss": (NeuralNetworkClassifier(), RNG.integers(0, 3, 40),
                            ("log_loss", "softmax")),
    "multilabel log_loss": (NeuralNetworkClassifier(), RNG.integers(0, 2, (40, 3)),
                            ("log_loss", "sigmoid")),
    "quadratic sigmoid": (NeuralNetworkClassifier(cost="quadratic", output_activation="logistic"),
                          RNG.integers(0, 3, 40), ("quadratic", "sigmoid")),
    "quadratic softmax": (NeuralNetworkClassifier(cost="quadratic"), RNG.integers(0, 3, 40),
                          ("quadratic", "softmax")),
    "squared_error": (NeuralNetworkRegressor(), RNG.normal(size=(40, 2)),
                      ("squared_error", "identity")),
    "poisson": (NeuralNetworkRegressor(loss="poisson"), RNG.poisson(2.0, 40).astype(float),
                ("poisson", "exp")),
}
SKLEARN_HAS = {"binary log_loss", "multiclass log_loss", "multilabel log_loss",
               "squared_error", "poisson"}


def _fitted(name, X):
    est, y, _ = CASES[name]
    est = est.set_params(hidden_layer_sizes=(5, 4), activation="tanh", alpha=0.01,
                         max_iter=3, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    return est, y


def _targets(est, y):
    """The output-layer targets Y (m, n_outputs) the estimator trains against."""
    if hasattr(est, "_label_binarizer"):
        return est._label_binarizer.transform(y).astype(float)
    return np.asarray(y, float).reshape(len(y), -1)


def _packed(est):
    return np.hstack([p.ravel() for p in est.coefs_ + est.intercepts_])


def _index_as_sklearn_lbfgs_does(mlp):
    """The private index of the packed vector that scikit-learn's _fit_lbfgs makes."""
    start, mlp._coef_indptr, mlp._intercept_indptr = 0, [], []
    for c in mlp.coefs_:
        mlp._coef_indptr.append((start, start + c.size, c.shape))
        start += c.size
    for b in mlp.intercepts_:
        mlp._intercept_indptr.append((start, start + b.size))
        start += b.size


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name", list(CASES))
def test_the_estimators_gradients_are_the_engines(name, weighted, sparse):
    X = scipy.sparse.csr_matrix(X_DENSE) if sparse else X_DENSE
    est, y = _fitted(name, X)
    cost, output = CASES[name][2]
    net = est.network_
    assert (net.cost.name, net.output_activation.name) == (cost, output)
    Y = _targets(est, y)
    sw = WEIGHTS if weighted else None
    theta = _packed(est)
    # the engine on copies of the weights: W[l] = coefs_[l].T, lambda = alpha / sum(w)
    engine = Network.from_weights([c.T.copy() for c in est.coefs_],
                                  [b.copy() for b in est.intercepts_], "tanh", output, cost)
    total = len(X_DENSE) if sw is None else sw.sum()
    J, gW, gb = engine.backprop(X, Y, est.alpha / total, sample_weight=sw)
    expected = np.hstack([g.T.ravel() for g in gW] + list(gb))
    n = len(est.coefs_)
    loss, grad = est._loss_grad_lbfgs(theta, X, Y, sw, None, None, [None] * n, [None] * n)
    assert loss == pytest.approx(J, rel=1e-13)
    np.testing.assert_allclose(grad, expected, rtol=1e-12, atol=1e-15)

    if name in SKLEARN_HAS:  # and scikit-learn's own MLP, which shares no code with either
        mlp = est.to_sklearn()
        _index_as_sklearn_lbfgs_does(mlp)
        units = [X.shape[1], 5, 4, Y.shape[1]]
        acts = [X] + [np.empty((X.shape[0], u)) for u in units[1:]]
        deltas = [np.empty_like(a) for a in acts[1:]]
        cg = [np.empty((a, b)) for a, b in zip(units[:-1], units[1:])]
        ig = [np.empty(b) for b in units[1:]]
        their_loss, their_grad = mlp._loss_grad_lbfgs(theta, X, Y, sw, acts, deltas, cg, ig)
        assert loss == pytest.approx(their_loss, rel=1e-12)
        np.testing.assert_allclose(grad, their_grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_fitting_runs_the_engines_backprop(solver, monkeypatch):
    calls = []
    original = Network.backprop

    def counting(self, *args, **kwargs):
        calls.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Network, "backprop", counting)
    est = NeuralNetworkClassifier((5,), solver=solver, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X_DENSE, CASES["multiclass log_loss"][1])
    assert calls and all(isinstance(net, Network) for net in calls)
    # the network trained is a view of the estimator's weights: W[l] is coefs_[l].T
    net = calls[-1]
    if solver != "lbfgs":  # lbfgs ends by unpacking its result into new arrays
        assert all(np.shares_memory(w, c) for w, c in zip(net.W, est.coefs_))


# --- every engine optimizer is a solver of the estimators ---------------------------------------

def _fit_coefs(**params):
    from sklearn.datasets import load_digits

    from neuralpath.estimator import NeuralNetworkClassifier
    X, y = load_digits(return_X_y=True)
    clf = NeuralNetworkClassifier(hidden_layer_sizes=(20,), max_iter=15, random_state=3,
                                  learning_rate_init=0.05, batch_size=100, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached before convergence
        clf.fit(X[:500] / 16.0, y[:500])
    return clf.coefs_ + clf.intercepts_


@pytest.mark.parametrize("engine, sklearn", [
    (dict(solver="gd"), dict(solver="sgd", momentum=0.0, nesterovs_momentum=False)),
    (dict(solver="momentum", optimizer_options={"momentum": 0.7}),
     dict(solver="sgd", momentum=0.7, nesterovs_momentum=False)),
    (dict(solver="nesterov", optimizer_options={"momentum": 0.9}),
     dict(solver="sgd", momentum=0.9, nesterovs_momentum=True)),
])
def test_an_engine_optimizer_named_as_solver_trains_as_scikit_learns_sgd(engine, sklearn):
    """solver='gd' / 'momentum' / 'nesterov' is the engine's optimizer of that name, with
    optimizer_options: the same steps as scikit-learn's sgd with those settings."""
    for ours, theirs in zip(_fit_coefs(**engine), _fit_coefs(**sklearn)):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_optimizer_options_are_checked_and_refused_for_scikit_learns_solvers():
    with pytest.raises(ValueError, match=r"^momentum must be a number in \[0, 1\), got 1.5$"):
        _fit_coefs(solver="momentum", optimizer_options={"momentum": 1.5})
    with pytest.raises(ValueError, match=r"optimizer 'gd' takes the options"):
        _fit_coefs(solver="gd", optimizer_options={"momentum": 0.5})
    with pytest.raises(ValueError, match=r"solver='adam' takes scikit-learn's parameters"):
        _fit_coefs(solver="adam", optimizer_options={"beta_1": 0.5})
    with pytest.raises(ValueError, match=r"solver"):  # scikit-learn's own validation
        _fit_coefs(solver="rmsprop-like-name-nobody-defines")
