"""The scikit-learn estimators: sklearn's own checks, MLPClassifier's numbers, the tutorial's.

Layers: scikit-learn's estimator checks on several configurations; the same predictions as
MLPClassifier/MLPRegressor from the same weights (to 1e-12) and the same training for the same
random_state; the tutorial's settings against the ``tutorial`` preset; sample weights; the
way out (to_sklearn, network_); model selection on the digits (accuracy floor); randomness;
verbose, Ctrl-C, divergence; saving; bad parameters. scikit-learn's own test file of its MLP
runs against these estimators in test_sklearn_mlp.py.
"""
import pickle
import unittest
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_blobs, make_multilabel_classification
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from neuralpath import ModelFileError, TrainedModel, TrainingDiverged, data
from neuralpath import load as load_model
from neuralpath.estimator import (
    NeuralNetworkClassifier,
    NeuralNetworkDiverged,
    NeuralNetworkRegressor,
    to_model,
)
from neuralpath.pipeline import prepare, train_preset
from neuralpath.presets import resolve


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """Small matrices: one BLAS thread is faster, and steady when the machine is busy."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def digits_parts():
    """Raw digits pixels, 70/30 split (the scaling is the Pipeline's job here)."""
    X, y = data.digits()
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=150, centers=3, n_features=4, random_state=0)
    return StandardScaler().fit_transform(X), y


def quiet(fit, *args, **kwargs):
    """Run a fit that stops at max_iter on purpose (ConvergenceWarning expected)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit(*args, **kwargs)


# --- scikit-learn's estimator checks ---------------------------------------------------------

# Every check of the installed scikit-learn passes, so none is expected to fail (this is the
# place to list one, with its reason). The defaults are checked as they are; more
# configurations run the other paths through the same checks: the tutorial's sigmoid outputs
# with the quadratic cost and full-batch sgd; lbfgs; invscaling sgd with leaky_relu.
# (Dropout, float32 and early stopping fail the checks that fitting with sample weights
# equals fitting on repeated rows, as they would for MLPClassifier: they are tested below.)
ESTIMATORS = [
    NeuralNetworkClassifier(),
    NeuralNetworkRegressor(),
    NeuralNetworkClassifier((16, 8), "logistic", output_activation="logistic",
                            cost="quadratic", solver="lbfgs", initializer="tutorial"),
    NeuralNetworkClassifier((16,), "tanh", solver="sgd", learning_rate="adaptive",
                            learning_rate_init=0.01),
    NeuralNetworkRegressor(hidden_layer_sizes=(16,), activation="leaky_relu", batch_size=None),
]
EXPECTED_FAILED_CHECKS: dict = {}  # {check name: reason}, for every estimator above
# checks that do not apply and say so by skipping themselves: {check name: their reason}
NOT_APPLICABLE = {
    "check_classifiers_multilabel_output_format_decision_function":
        "does not have a decision_function method",  # nor has MLPClassifier
}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
                         xfail_strict=True)
def test_scikit_learn_estimator_checks(estimator, check, monkeypatch):
    # check_array_api_input skips itself unless SCIPY_ARRAY_API is set; set it, so that
    # check runs too (with NumPy arrays, the only namespace these estimators use)
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            check(estimator)
    except unittest.SkipTest as skip:  # a check that skips itself would pass unseen
        name = getattr(check, "func", check).__name__
        if NOT_APPLICABLE.get(name, "<none>") not in str(skip):
            pytest.fail(f"the check skipped itself: {skip}")


# --- MLPClassifier's numbers ------------------------------------------------------------------

def _problems():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    Xm, Ym = make_multilabel_classification(n_samples=80, random_state=0)
    return {
        "multiclass": (X[:300], y[:300]),
        "binary": (X[:300], y[:300] % 2),
        "multilabel": (Xm, Ym),
    }


@pytest.mark.parametrize("problem", ["multiclass", "binary", "multilabel"])
@pytest.mark.parametrize("activation", ["relu", "logistic", "tanh", "identity"])
def test_same_predictions_as_mlpclassifier_from_the_same_weights(problem, activation):
    X, y = _problems()[problem]
    theirs = quiet(MLPClassifier((20, 10), activation, max_iter=30, random_state=0).fit, X, y)
    ours = quiet(NeuralNetworkClassifier((20, 10), activation, max_iter=1, random_state=1).fit,
                 X, y)
    ours.coefs_ = [c.copy() for c in theirs.coefs_]  # (n_in, n_out), as scikit-learn's
    ours.intercepts_ = [b.copy() for b in theirs.intercepts_]
    assert ours.out_activation_ == theirs.out_activation_
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=0,
                               atol=1e-12)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_same_predictions_as_mlpregressor_from_the_same_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 5))
    Y = np.column_stack([X[:, 0] * X[:, 1], np.sin(X[:, 2])])
    for y in (Y[:, 0], Y):
        theirs = quiet(MLPRegressor(hidden_layer_sizes=(16,), max_iter=20, random_state=0).fit,
                       X, y)
        ours = quiet(NeuralNetworkRegressor(hidden_layer_sizes=(16,), max_iter=1,
                                            random_state=0).fit, X, y)
        ours.coefs_, ours.intercepts_ = theirs.coefs_, theirs.intercepts_
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=0, atol=1e-12)


@pytest.mark.parametrize("solver, extra", [
    ("adam", {}),
    ("sgd", {"learning_rate": "adaptive", "momentum": 0.5}),
    ("sgd", {"learning_rate": "invscaling", "nesterovs_momentum": False}),
    ("lbfgs", {}),
    ("adam", {"early_stopping": True, "batch_size": 32}),
])
def test_same_training_as_mlpclassifier_for_the_same_random_state(solver, extra):
    """The same initial weights, order of samples, updates and stopping: the same model."""
    X, y = _problems()["multiclass"]
    params = dict(hidden_layer_sizes=(15,), solver=solver, max_iter=25, random_state=3,
                  alpha=1e-3, **extra)
    theirs = quiet(MLPClassifier(**params).fit, X, y)
    ours = quiet(NeuralNetworkClassifier(**params).fit, X, y)
    assert ours.n_iter_ == theirs.n_iter_
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=1e-9)
    for name in ("t_", "n_layers_", "n_outputs_", "out_activation_", "best_loss_",
                 "validation_scores_", "best_validation_score_"):
        if hasattr(theirs, name):
            mine, other = getattr(ours, name), getattr(theirs, name)
            if isinstance(other, (list, float)):
                np.testing.assert_allclose(mine, other, rtol=1e-9)
            else:
                assert mine == other, name


def test_sample_weights_count_a_sample_that_many_times():
    X, y = _problems()["binary"]
    X, y = X[:80], y[:80]
    weights = np.arange(80) % 3  # 0, 1 or 2 copies of each sample
    params = dict(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=60, random_state=0)
    weighted = quiet(NeuralNetworkClassifier(**params).fit, X, y, sample_weight=weights)
    rows = np.repeat(np.arange(80), weights)
    repeated = quiet(NeuralNetworkClassifier(**params).fit, X[rows], y[rows])
    for a, b in zip(weighted.coefs_, repeated.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


# --- the tutorial's network -------------------------------------------------------------------

TUTORIAL_SETTINGS = dict(hidden_layer_sizes=(30,), activation="logistic",
                         output_activation="logistic", cost="quadratic", solver="sgd",
                         learning_rate_init=0.25, momentum=0.0, alpha=0.0, batch_size=None,
                         shuffle=False, max_iter=3000, n_iter_no_change=np.inf,
                         initializer="tutorial")


def test_tutorial_settings_reproduce_the_tutorial_preset():
    seed = 3
    parts = prepare(resolve("tutorial", seed=seed))  # the preset's split and scaling
    model, history, metrics = train_preset("tutorial", seed=seed)
    clf = NeuralNetworkClassifier(**TUTORIAL_SETTINGS, random_state=seed)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3000\)"):
        clf.fit(parts["X_train"], parts["y_train"])
    for ours, W in zip(clf.coefs_, model.network.W):
        np.testing.assert_allclose(ours, W.T, rtol=0, atol=1e-12)  # (s_l, s_{l+1}) = W.T
    np.testing.assert_array_equal(clf.predict(parts["X_test"]), model.predict(parts["X_test_raw"]))
    np.testing.assert_allclose(clf.loss_curve_, history.cost, rtol=1e-12)  # epoch = step
    assert clf.n_iter_ == history.iterations == 3000
    assert clf.score(parts["X_test"], parts["y_test"]) == pytest.approx(metrics["test_accuracy"])
    assert clf.score(parts["X_test"], parts["y_test"]) > 0.85  # the tutorial reports ~86%


# --- the way out ------------------------------------------------------------------------------

def test_to_sklearn_gives_the_same_fitted_mlp(blobs):
    X, y = blobs
    clf = quiet(NeuralNetworkClassifier((7,), max_iter=20, random_state=0).fit, X, y)
    theirs = clf.to_sklearn()
    assert type(theirs) is MLPClassifier and theirs.get_params()["hidden_layer_sizes"] == (7,)
    np.testing.assert_array_equal(theirs.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(theirs.predict(X), clf.predict(X))
    quiet(theirs.partial_fit, X, y)  # a fitted MLPClassifier that trains on
    reg = quiet(NeuralNetworkRegressor(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit,
                X, X[:, 0])
    np.testing.assert_array_equal(reg.to_sklearn().predict(X), reg.predict(X))
    tutorial = quiet(NeuralNetworkClassifier(**{**TUTORIAL_SETTINGS, "max_iter": 2}).fit, X, y)
    with pytest.raises(ValueError, match=r"cost='quadratic'.*no scikit-learn equivalent"):
        tutorial.to_sklearn()


def test_network_is_the_engines_view_of_the_same_weights(blobs):
    X, y = blobs
    clf = quiet(NeuralNetworkClassifier((7, 5), max_iter=3, random_state=0).fit, X, y)
    assert [c.shape for c in clf.coefs_] == [(4, 7), (7, 5), (5, 3)]  # (n_in, n_out)
    net = clf.network_
    assert [W.shape for W in net.W] == [(7, 4), (5, 7), (3, 5)]  # the tutorial's (s_{l+1}, s_l)
    assert np.shares_memory(net.W[0], clf.coefs_[0])
    np.testing.assert_allclose(net.predict_output(X), clf.predict_proba(X), rtol=1e-12)


# --- model selection on the digits ------------------------------------------------------------

def test_grid_search_over_learning_rates_reaches_97_percent_on_held_out_digits(digits_parts):
    X_tr, X_te, y_tr, y_te = digits_parts
    pipe = Pipeline([("scale", StandardScaler()),
                     ("net", NeuralNetworkClassifier(random_state=0))])
    search = GridSearchCV(pipe, {"net__learning_rate_init": [0.001, 0.01]}, cv=3)
    quiet(search.fit, X_tr, y_tr)
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert search.score(X_te, y_te) >= 0.97  # held out: never seen by the search


def test_string_labels_and_float32_with_dropout(blobs):
    X, y = blobs
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = quiet(NeuralNetworkClassifier(dtype="float32", dropout=0.2, random_state=0).fit,
                X, names)
    np.testing.assert_array_equal(clf.classes_, ["setosa", "versicolor", "virginica"])
    assert clf.predict(X).dtype == names.dtype and clf.score(X, names) > 0.9
    assert all(c.dtype == np.float32 for c in clf.coefs_ + clf.intercepts_)
    with pytest.raises(ValueError, match=r"dropout must be 0 with solver='lbfgs'.*got "
                                         r"dropout=0.2"):
        NeuralNetworkClassifier(solver="lbfgs", dropout=0.2).fit(X, y)


# --- randomness -------------------------------------------------------------------------------

def test_random_state_controls_everything_and_global_state_is_untouched(blobs):
    before = np.random.get_state()[1].copy()
    settings = dict(max_iter=5, batch_size=16, dropout=0.2, early_stopping=True)

    def fit(rs):
        return quiet(NeuralNetworkClassifier(random_state=rs, **settings).fit, *blobs)

    np.testing.assert_array_equal(fit(4).coefs_[0], fit(4).coefs_[0])
    assert not np.array_equal(fit(4).coefs_[0], fit(5).coefs_[0])
    g = [fit(np.random.default_rng(4)).coefs_[0] for _ in range(2)]
    np.testing.assert_array_equal(*g)
    assert fit(np.random.RandomState(4)).n_iter_ >= 1
    assert not np.array_equal(fit(None).coefs_[0], fit(None).coefs_[0])
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# --- verbose, Ctrl-C, divergence --------------------------------------------------------------

def test_verbose_prints_as_scikit_learn_prints(blobs, capsys):
    quiet(NeuralNetworkClassifier(max_iter=3, early_stopping=True, verbose=True,
                                  random_state=0).fit, *blobs)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines[::2]] == [f"Iteration {i}" for i in (1, 2, 3)]
    assert all(line.startswith("Validation score: ") for line in lines[1::2])
    quiet(NeuralNetworkClassifier(max_iter=3, random_state=0).fit, *blobs)
    assert capsys.readouterr().out == ""


def test_ctrl_c_stops_fit_with_a_warning_and_keeps_the_model(blobs, monkeypatch):
    original = NeuralNetworkClassifier._update_no_improvement_count

    def press_ctrl_c_after_epoch_2(self, *args):
        original(self, *args)
        if self.n_iter_ == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(NeuralNetworkClassifier, "_update_no_improvement_count",
                        press_ctrl_c_after_epoch_2)
    clf = NeuralNetworkClassifier(max_iter=50, batch_size=50, random_state=0)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        clf.fit(*blobs)
    assert clf.n_iter_ == 2 and clf.predict(blobs[0]).shape == (len(blobs[0]),)


def test_divergence_is_a_clear_value_error():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)) * 100, rng.normal(size=20) * 100
    reg = NeuralNetworkRegressor(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=1e3,
                                 max_iter=50, random_state=0)
    with pytest.raises(NeuralNetworkDiverged, match="non-finite parameter weights") as info:
        quiet(reg.fit, X, y)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TrainingDiverged)


# --- saving and pickling ----------------------------------------------------------------------

@pytest.mark.parametrize("labels", [["a", "b", "c"], ["no", "yes"]])
def test_save_and_load_give_identical_predictions(tmp_path, blobs, labels):
    X, y = blobs
    y = y if len(labels) == 3 else (y == 0).astype(int)
    names = np.array(labels, dtype=object)[y]
    clf = quiet(NeuralNetworkClassifier([6, 5], early_stopping=True, max_iter=15,
                                        random_state=2).fit, X, names)
    back = NeuralNetworkClassifier.load(clf.save(tmp_path / "clf.npz"))
    np.testing.assert_array_equal(back.predict(X), clf.predict(X))
    np.testing.assert_allclose(back.predict_proba(X), clf.predict_proba(X), rtol=1e-12)
    assert list(back.classes_) == labels
    assert back.get_params() == {**clf.get_params(), "hidden_layer_sizes": (6, 5)}
    for name in ("n_iter_", "loss_curve_", "validation_scores_", "best_validation_score_",
                 "n_features_in_", "n_outputs_", "out_activation_", "t_"):
        assert getattr(back, name) == getattr(clf, name), name
    # the file is an ordinary neuralpath model (a binary one as a two-class softmax)
    model = load_model(tmp_path / "clf.npz")
    assert isinstance(model, TrainedModel)
    np.testing.assert_array_equal(model.predict(X), clf.predict(X))
    np.testing.assert_allclose(model.predict_proba(X), clf.predict_proba(X), rtol=1e-12)


def test_save_refuses_what_a_model_file_cannot_hold(tmp_path, blobs):
    X, Y = make_multilabel_classification(n_samples=40, random_state=0)
    multilabel = quiet(NeuralNetworkClassifier((4,), max_iter=2).fit, X, Y)
    with pytest.raises(ValueError, match="multilabel"):
        multilabel.save(tmp_path / "m.npz")
    reg = quiet(NeuralNetworkRegressor(max_iter=2, random_state=0).fit, *blobs)
    path = reg.save(tmp_path / "reg.npz")
    back = NeuralNetworkRegressor.load(path)
    np.testing.assert_array_equal(back.predict(blobs[0]), reg.predict(blobs[0]))
    quiet(back.partial_fit, *blobs)  # a loaded estimator trains on
    with pytest.raises(ModelFileError, match="not saved by NeuralNetworkClassifier.save"):
        NeuralNetworkClassifier.load(path)


def test_pickle_round_trip(blobs):
    X, y = blobs
    clf = quiet(NeuralNetworkClassifier(max_iter=5, random_state=0).fit, X, y)
    back = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    quiet(back.partial_fit, X, y)


# --- bad parameters ---------------------------------------------------------------------------

@pytest.mark.parametrize("params, message", [
    (dict(learning_rate_init=-1), r"'learning_rate_init' parameter of NeuralNetworkClassifier "
                                  r"must be a float in the range \(0.0, inf\)\. Got -1 instead"),
    (dict(learning_rate=0.1), r"'learning_rate' parameter .*'adaptive'.*Got 0.1 instead"),
    (dict(activation="softplus"), r"'activation' parameter .*Got 'softplus' instead"),
    (dict(solver="rmsprop"), r"'solver' parameter .*'lbfgs'.*Got 'rmsprop' instead"),
    (dict(cost="hinge"), r"'cost' parameter .*'quadratic'.*Got 'hinge' instead"),
    (dict(output_activation="tanh"), r"'output_activation' parameter .*Got 'tanh' instead"),
    (dict(dropout=1.0), r"'dropout' parameter .* range \[0.0, 1.0\)\. Got 1.0 instead"),
    (dict(dtype="float16"), r"'dtype' parameter .*'float32'.*Got 'float16' instead"),
    (dict(initializer="zeros"), r"'initializer' parameter .*'auto'.*Got 'zeros' instead"),
    (dict(hidden_layer_sizes=(10, 0)), r"hidden_layer_sizes must be > 0, got \[10, 0\]"),
])
def test_bad_parameters_name_the_parameter_what_it_takes_and_what_came(params, message, blobs):
    with pytest.raises(ValueError, match=message):
        NeuralNetworkClassifier(**params).fit(*blobs)


def test_softmax_output_needs_three_classes(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match=r"output_activation='softmax' needs a multiclass y"):
        NeuralNetworkClassifier(output_activation="softmax").fit(X, y == 0)


# --- a fitted Pipeline as one model file ----------------------------------------------------

@pytest.mark.parametrize("scalers", [
    [StandardScaler()],
    [MinMaxScaler()],
    [MaxAbsScaler(), StandardScaler(with_mean=False)],
    ["passthrough", MinMaxScaler(feature_range=(-1, 1)), StandardScaler()],
])
def test_a_pipeline_folds_its_scalers_into_the_model(scalers, tmp_path):
    X, y = load_digits(return_X_y=True)
    steps = [(f"s{i}", s) for i, s in enumerate(scalers)]
    pipe = Pipeline([*steps, ("net", NeuralNetworkClassifier((20,), random_state=0))])
    quiet(pipe.fit, X[:400], y[:400])
    model = to_model(pipe)
    np.testing.assert_allclose(model.predict_proba(X), pipe.predict_proba(X), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(model.predict(X), pipe.predict(X))
    back = load_model(model.save(tmp_path / "pipe.npz"))
    np.testing.assert_array_equal(back.predict(X), pipe.predict(X))


def test_to_model_refuses_what_it_cannot_fold():
    X, y = load_digits(return_X_y=True)
    pipe = Pipeline([("pca", PCA(5)), ("net", NeuralNetworkClassifier((4,), max_iter=2))])
    quiet(pipe.fit, X[:100], y[:100])
    with pytest.raises(ValueError, match="only with StandardScaler.*got PCA"):
        to_model(pipe)
    with pytest.raises(TypeError, match="Pipeline ending in one, got str"):
        to_model("model")


def test_a_saved_pipeline_predicts_the_same_through_the_command_line(tmp_path):
    import io
    import json

    import neuralpath
    from neuralpath.cli import main
    X, y = data.digits()  # raw pixels 0..16, what `predict --index` reads
    pipe = Pipeline([("scale", StandardScaler()),
                     ("net", NeuralNetworkClassifier((30,), random_state=0))])
    quiet(pipe.fit, X[:1000], y[:1000])
    path = neuralpath.save(pipe, tmp_path / "pipe.npz")
    held_out = [1000, 1200, 1500, 1796]  # rows the pipeline never saw
    out, err = io.StringIO(), io.StringIO()
    argv = ["predict", str(path), "--json", *(f"--index={i}" for i in held_out)]
    assert main(argv, out=out, err=err) == 0, err.getvalue()
    results = json.loads(out.getvalue())
    assert [r["digit"] for r in results] == pipe.predict(X[held_out]).tolist()
    for r, p in zip(results, pipe.predict_proba(X[held_out])):
        np.testing.assert_allclose([r["probabilities"][str(c)] for c in pipe.classes_], p,
                                   atol=1e-6)


def test_save_keeps_infinite_settings(tmp_path, blobs):
    clf = quiet(NeuralNetworkClassifier((4,), solver="sgd", max_iter=3, n_iter_no_change=np.inf,
                                        random_state=0).fit, *blobs)
    clf.best_loss_ = np.inf  # as before the first epoch
    back = NeuralNetworkClassifier.load(clf.save(tmp_path / "inf.npz"))
    assert back.n_iter_no_change == np.inf and back.best_loss_ == np.inf
    quiet(back.partial_fit, *blobs)
    assert np.isfinite(back.best_loss_)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_warm_start_goes_on_with_the_optimizer_state(solver):
    """Two warm fits of 3 epochs end where one fit of 6 does: the optimizer's moments (or
    velocities) and step count carry over; a fresh optimizer would land elsewhere."""
    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16.0
    y = y[:300]
    settings = dict(hidden_layer_sizes=(20,), solver=solver, shuffle=False, tol=0.0,
                    n_iter_no_change=1000, random_state=0, batch_size=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        once = NeuralNetworkClassifier(max_iter=6, **settings).fit(X, y)
        warm = NeuralNetworkClassifier(max_iter=3, warm_start=True, **settings).fit(X, y)
        warm.fit(X, y)
        fresh = NeuralNetworkClassifier(max_iter=3, warm_start=True, **settings).fit(X, y)
        del fresh._optimizer  # what a new optimizer on the second fit would do
        fresh.fit(X, y)
    for a, b in zip(warm.coefs_ + warm.intercepts_, once.coefs_ + once.intercepts_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    assert max(np.abs(a - b).max() for a, b in zip(fresh.coefs_, once.coefs_)) > 1e-6
