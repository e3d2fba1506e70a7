"""The scikit-learn estimators: sklearn's own checks, the tutorial's numbers, tools, saving.

Layers: scikit-learn's estimator checks; the tutorial's settings against the ``tutorial``
preset (bit for bit); model selection on the digits (accuracy floor); labels, shapes and
data frames; warm_start / partial_fit against plain fit; save/load and pickle; bad
parameters and bad inputs; extreme values and divergence.
"""
import logging
import pickle
import unittest
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, make_blobs
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from neuralpath import ModelFileError, TrainedModel, TrainingDiverged, data
from neuralpath import load as load_model
from neuralpath.estimator import (NeuralNetworkClassifier, NeuralNetworkDiverged,
                                  NeuralNetworkRegressor)
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


# --- scikit-learn's estimator checks ---------------------------------------------------------

# Every check of the installed scikit-learn applies to these estimators and passes, so no
# check is expected to fail (this is the place to list one, with its reason). The defaults
# are checked as they are (about 10 s for both with one BLAS thread: no quick configuration
# is needed); a second configuration of each runs the other paths through the same checks:
# sigmoid outputs with the quadratic cost, full-batch momentum, dropout, L2 (classifier);
# float32, Nesterov, a cosine schedule, early stopping (regressor).
ESTIMATORS = [
    NeuralNetworkClassifier(),
    NeuralNetworkRegressor(),
    NeuralNetworkClassifier((16, 8), "sigmoid", output_activation="sigmoid", cost="quadratic",
                            optimizer="momentum", learning_rate=0.5, batch_size=None,
                            max_iter=300, l2=1e-3, dropout=0.1),
    NeuralNetworkRegressor((16,), "tanh", optimizer="nesterov", learning_rate=0.01,
                           batch_size=32, schedule="cosine", dtype="float32",
                           early_stopping=True, patience=20),
]
EXPECTED_FAILED_CHECKS = {}  # {check name: reason}, for every estimator above


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
                         xfail_strict=True)
def test_scikit_learn_estimator_checks(estimator, check, monkeypatch):
    # check_array_api_input skips itself unless SCIPY_ARRAY_API is set; set it, so that
    # check runs too (with NumPy arrays, the only namespace these estimators use)
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    try:
        check(estimator)
    except unittest.SkipTest as skip:  # a check that skips itself would pass unseen
        pytest.fail(f"the check skipped itself: {skip}")


# --- the tutorial's network -------------------------------------------------------------------

TUTORIAL_SETTINGS = dict(hidden_layer_sizes=(30,), activation="sigmoid",
                         output_activation="sigmoid", cost="quadratic", optimizer="gd",
                         learning_rate=0.25, max_iter=3000, batch_size=None, l2=0.0,
                         initializer="tutorial")


def test_tutorial_settings_reproduce_the_tutorial_preset_exactly():
    seed = 3
    parts = prepare(resolve("tutorial", seed=seed))  # the preset's split and scaling
    model, history, metrics = train_preset("tutorial", seed=seed)
    clf = NeuralNetworkClassifier(**TUTORIAL_SETTINGS, random_state=seed)
    clf.fit(parts["X_train"], parts["y_train"])
    for ours, theirs in zip(clf.coefs_ + clf.intercepts_, model.network.params):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(clf.predict(parts["X_test"]), model.predict(parts["X_test_raw"]))
    np.testing.assert_array_equal(clf.loss_curve_, history.cost)  # full batch: epoch = step
    assert clf.n_iter_ == history.iterations == 3000
    assert clf.score(parts["X_test"], parts["y_test"]) == pytest.approx(metrics["test_accuracy"])
    assert clf.score(parts["X_test"], parts["y_test"]) > 0.85  # the tutorial reports ~86%


# --- model selection on the digits ------------------------------------------------------------

def test_grid_search_over_learning_rates_reaches_97_percent_on_held_out_digits(digits_parts):
    X_tr, X_te, y_tr, y_te = digits_parts
    pipe = Pipeline([("scale", StandardScaler()),
                     ("net", NeuralNetworkClassifier(random_state=0))])
    search = GridSearchCV(pipe, {"net__learning_rate": [0.001, 0.01]}, cv=3)
    search.fit(X_tr, y_tr)
    assert search.best_params_["net__learning_rate"] in (0.001, 0.01)
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert search.score(X_te, y_te) >= 0.97


def test_cross_val_score_in_a_pipeline():
    X, y = load_iris(return_X_y=True)
    pipe = Pipeline([("scale", StandardScaler()),
                     ("net", NeuralNetworkClassifier(learning_rate=0.01, random_state=0))])
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.9


def test_clone_keeps_every_parameter_and_no_fitted_state(blobs):
    settings = {**TUTORIAL_SETTINGS, "max_iter": 5}
    clf = NeuralNetworkClassifier(**settings, random_state=7, dtype="float32",
                                  early_stopping=True, patience=4)
    clf.fit(*blobs)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "network_") and not hasattr(copy, "classes_")
    generator = np.random.default_rng(1)
    assert clone(NeuralNetworkRegressor(random_state=generator)).random_state is not generator


# --- labels, shapes, data frames --------------------------------------------------------------

def test_string_labels_come_back_as_strings(blobs):
    X, y = blobs
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = NeuralNetworkClassifier(learning_rate=0.01, random_state=0).fit(X, names)
    np.testing.assert_array_equal(clf.classes_, ["setosa", "versicolor", "virginica"])
    assert clf.predict(X).dtype == names.dtype
    assert clf.score(X, names) > 0.9
    assert clf.n_outputs_ == 3 and clf.coefs_[-1].shape == (3, 100)


def test_binary_problem_has_two_outputs_and_two_probability_columns(blobs):
    X, y = blobs
    mask = y != 2
    X, y = X[mask], np.where(y[mask] == 0, -1, 1)
    for settings in ({}, dict(output_activation="sigmoid", cost="quadratic")):
        clf = NeuralNetworkClassifier(learning_rate=0.01, random_state=0, **settings).fit(X, y)
        proba = clf.predict_proba(X)
        assert proba.shape == (len(X), 2) and clf.n_outputs_ == 2
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
        np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba)
        assert clf.score(X, y) > 0.95


def test_dataframe_input_sets_feature_names(blobs):
    pd = pytest.importorskip("pandas")
    X, y = blobs
    frame = pd.DataFrame(X, columns=["sepal", "petal", "stem", "leaf"])
    clf = NeuralNetworkClassifier(max_iter=20, random_state=0).fit(frame, pd.Series(y))
    np.testing.assert_array_equal(clf.feature_names_in_, ["sepal", "petal", "stem", "leaf"])
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        from_array = clf.predict(X)
    np.testing.assert_array_equal(clf.predict(frame), from_array)
    renamed = frame.rename(columns={"leaf": "root"})
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(renamed)
    reg = NeuralNetworkRegressor(max_iter=5, random_state=0).fit(frame, X[:, 0])
    assert list(reg.feature_names_in_) == list(frame.columns)


def test_regressor_fits_a_smooth_function_and_keeps_the_shape_of_y():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(300, 2))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2
    reg = NeuralNetworkRegressor(learning_rate=0.01, max_iter=300, random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.95
    assert reg.predict(X).shape == (300,) and reg.n_outputs_ == 1
    net = reg.network_
    assert (net.output_activation.name, net.cost.name) == ("identity", "quadratic")
    Y2 = np.column_stack([y, -y])
    reg2 = NeuralNetworkRegressor(learning_rate=0.01, max_iter=300, random_state=0).fit(X, Y2)
    assert reg2.predict(X).shape == (300, 2) and reg2.score(X, Y2) > 0.95
    column = NeuralNetworkRegressor(max_iter=2, random_state=0).fit(X, y[:, None])
    assert column.predict(X).shape == (300, 1)


def test_no_hidden_layer_is_logistic_regression(blobs):
    clf = NeuralNetworkClassifier(hidden_layer_sizes=(), learning_rate=0.05,
                                  random_state=0).fit(*blobs)
    assert [W.shape for W in clf.coefs_] == [(3, 4)] and clf.score(*blobs) > 0.9


def test_coefs_are_in_the_tutorials_orientation(blobs):
    X, y = blobs
    clf = NeuralNetworkClassifier(hidden_layer_sizes=(7, 5), max_iter=3, random_state=0).fit(X, y)
    assert [W.shape for W in clf.coefs_] == [(7, 4), (5, 7), (3, 5)]  # (s_{l+1}, s_l)
    assert [b.shape for b in clf.intercepts_] == [(7,), (5,), (3,)]
    # the network's own arrays, and Z = H @ W.T + b reproduces predict_proba
    assert clf.coefs_[0] is clf.network_.W[0]
    h = X
    for W, b in zip(clf.coefs_[:-1], clf.intercepts_[:-1]):
        h = np.maximum(h @ W.T + b, 0.0)
    z = h @ clf.coefs_[-1].T + clf.intercepts_[-1]
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(clf.predict_proba(X), expected / expected.sum(axis=1, keepdims=True))


def test_float32_with_dropout(blobs):
    clf = NeuralNetworkClassifier(dtype="float32", dropout=0.2, max_iter=20, random_state=0)
    clf.fit(*blobs)
    assert all(W.dtype == np.float32 for W in clf.coefs_)
    assert clf.score(*blobs) > 0.9


def test_float32_trains_in_float32(blobs):
    clf = NeuralNetworkClassifier(dtype="float32", learning_rate=0.01, random_state=0).fit(*blobs)
    assert all(W.dtype == np.float32 for W in clf.coefs_ + clf.intercepts_)
    assert clf.score(*blobs) > 0.9
    # results follow the input's precision
    assert clf.predict_proba(blobs[0]).dtype == np.float64
    assert clf.predict_proba(blobs[0].astype(np.float32)).dtype == np.float32


# --- randomness -------------------------------------------------------------------------------

def test_random_state_controls_everything_and_global_state_is_untouched(blobs):
    before = np.random.get_state()[1].copy()
    settings = dict(max_iter=5, batch_size=16, dropout=0.2, early_stopping=True)
    a = NeuralNetworkClassifier(random_state=4, **settings).fit(*blobs)
    b = NeuralNetworkClassifier(random_state=4, **settings).fit(*blobs)
    c = NeuralNetworkClassifier(random_state=5, **settings).fit(*blobs)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])
    g1 = NeuralNetworkClassifier(random_state=np.random.default_rng(4), **settings).fit(*blobs)
    g2 = NeuralNetworkClassifier(random_state=np.random.default_rng(4), **settings).fit(*blobs)
    np.testing.assert_array_equal(g1.coefs_[0], g2.coefs_[0])
    r = NeuralNetworkClassifier(random_state=np.random.RandomState(4), **settings).fit(*blobs)
    assert r.n_iter_ >= 1
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# --- continuing: warm_start and partial_fit ---------------------------------------------------

def test_warm_start_continues_exactly_where_fit_stopped(blobs):
    settings = dict(optimizer="gd", learning_rate=0.1, batch_size=None, random_state=0)
    once = NeuralNetworkClassifier(max_iter=10, **settings).fit(*blobs)
    twice = NeuralNetworkClassifier(max_iter=5, warm_start=True, **settings).fit(*blobs)
    first_W = twice.coefs_[0]
    twice.fit(*blobs)
    assert twice.coefs_[0] is first_W  # the same network went on training
    np.testing.assert_array_equal(once.coefs_[0], twice.coefs_[0])
    np.testing.assert_array_equal(once.loss_curve_, twice.loss_curve_)
    assert twice.n_iter_ == 10
    twice.set_params(hidden_layer_sizes=(50,))
    with pytest.raises(ValueError, match=r"layer_sizes is now \[4, 50, 3\].*\[4, 100, 3\]"):
        twice.fit(*blobs)
    twice.set_params(hidden_layer_sizes=(100,))
    X, y = blobs
    with pytest.raises(ValueError, match="warm_start needs y to have the same classes"):
        twice.fit(X[y != 2], y[y != 2])


def test_partial_fit_keeps_the_optimizer_state_between_calls(blobs):
    # full batch, no shuffling: three one-epoch calls must equal one three-epoch fit, which
    # only holds if Adam's moments and step count carry over from call to call
    settings = dict(optimizer="adam", learning_rate=0.01, batch_size=None, random_state=0)
    X, y = blobs
    fit3 = NeuralNetworkClassifier(max_iter=3, **settings).fit(X, y)
    inc = NeuralNetworkClassifier(**settings)
    inc.partial_fit(X, y, classes=[0, 1, 2])
    inc.partial_fit(X, y)
    inc.partial_fit(X, y, classes=np.array([2, 1, 0]))
    np.testing.assert_array_equal(fit3.coefs_[0], inc.coefs_[0])
    np.testing.assert_array_equal(fit3.loss_curve_, inc.loss_curve_)
    assert inc.n_iter_ == 3


def test_partial_fit_learns_from_batches_that_miss_classes(blobs):
    X, y = blobs
    clf = NeuralNetworkClassifier(learning_rate=0.01, batch_size=32, random_state=0)
    for epoch in range(40):
        for chunk in np.array_split(np.argsort(y, kind="stable"), 3):  # one class per chunk
            clf.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2] if epoch == 0 else None)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.score(X, y) > 0.9


def test_partial_fit_errors(blobs):
    X, y = blobs
    clf = NeuralNetworkClassifier(max_iter=2, random_state=0)
    with pytest.raises(ValueError, match="classes must be given on the first call"):
        clf.partial_fit(X, y)
    with pytest.raises(ValueError, match=r"labels that are not in classes_ \[0, 1\]: \[2\]"):
        clf.partial_fit(X, y, classes=[0, 1])
    assert not hasattr(clf, "network_")
    clf.partial_fit(X, y, classes=[0, 1, 2, 3])  # a class not seen yet is fine
    with pytest.raises(ValueError, match=r"classes must be the classes_ of the first call"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="X has 3 features"):
        clf.partial_fit(X[:, :3], y)
    # warm_start=True asks fit, not partial_fit, for the same classes every time
    warm = NeuralNetworkClassifier(warm_start=True, random_state=0)
    warm.partial_fit(X[y == 0], y[y == 0], classes=[0, 1, 2]).partial_fit(X[y == 1], y[y == 1])
    assert warm.n_iter_ == 2
    reg = NeuralNetworkRegressor(random_state=0).partial_fit(X, X[:, 0])
    with pytest.raises(ValueError, match="y must have 1 target column"):
        reg.partial_fit(X, X[:, :2])


# --- early stopping, verbose, divergence ------------------------------------------------------

def test_early_stopping_records_validation_scores(digits_parts):
    X_tr, _, y_tr, _ = digits_parts
    X = StandardScaler().fit_transform(X_tr)
    clf = NeuralNetworkClassifier(learning_rate=0.01, early_stopping=True, patience=3,
                                  max_iter=500, random_state=0).fit(X, y_tr)
    assert clf.stopped_ == "early_stopping" and clf.n_iter_ < 500
    assert len(clf.validation_scores_) == clf.n_iter_ == len(clf.loss_curve_)
    assert clf.best_validation_score_ in clf.validation_scores_
    assert clf.best_validation_score_ > 0.95
    # the weights kept are those of the best epoch: they score best_validation_score_ on the
    # same held-out part (train_test_split with the same seed, stratified)
    _, X_val, _, y_val = train_test_split(X, y_tr, test_size=0.1, random_state=0, stratify=y_tr)
    assert clf.score(X_val, y_val) == clf.best_validation_score_
    plain = NeuralNetworkClassifier(max_iter=2, random_state=0).fit(X, y_tr)
    assert plain.validation_scores_ is None and plain.best_validation_score_ is None
    assert plain.stopped_ == "completed"
    reg = NeuralNetworkRegressor(early_stopping=True, patience=2, max_iter=30,
                                 random_state=0).fit(X, X[:, 10] - X[:, 20])
    assert all(-np.inf < s <= 1.0 for s in reg.validation_scores_)  # R^2 per epoch
    # one validation sample: R^2 is undefined, recorded as NaN (and no warning)
    tiny = NeuralNetworkRegressor(early_stopping=True, max_iter=3, random_state=0)
    tiny.fit(X[:5], X[:5, 0])
    assert len(tiny.validation_scores_) == 3 and np.isnan(tiny.validation_scores_).all()


def test_verbose_logs_one_line_per_epoch_and_prints_nothing(blobs, caplog, capsys):
    with caplog.at_level(logging.INFO, logger="neuralpath.estimator"):
        NeuralNetworkClassifier(max_iter=3, early_stopping=True, verbose=True,
                                random_state=0).fit(*blobs)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3 and lines[0].startswith("epoch 1: cost ")
    assert "validation score" in lines[-1]
    assert capsys.readouterr() == ("", "")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="neuralpath.estimator"):
        NeuralNetworkClassifier(max_iter=3, random_state=0).fit(*blobs)
    assert caplog.records == []


def test_divergence_is_a_clear_value_error_and_keeps_finite_weights():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)) * 100, rng.normal(size=20) * 100
    reg = NeuralNetworkRegressor(hidden_layer_sizes=(8,), optimizer="gd", learning_rate=1e3,
                                 batch_size=None, max_iter=500, random_state=0)
    with pytest.raises(NeuralNetworkDiverged, match=r"diverged: .*Lower learning_rate \(it is "
                                                    r"1000.0\)") as info:
        reg.fit(X, y)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TrainingDiverged)
    assert info.value.history.stopped == "diverged" and reg.stopped_ == "diverged"
    assert all(np.all(np.isfinite(W)) for W in reg.coefs_)
    assert np.all(np.isfinite(reg.predict(X)))
    # a grid search scores the diverging candidate as failed and keeps the good one
    search = GridSearchCV(reg.set_params(max_iter=20), {"learning_rate": [1e3, 1e-6]}, cv=2,
                          error_score=np.nan)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, y)
    assert any(issubclass(w.category, FitFailedWarning)
               and "NeuralNetworkDiverged" in str(w.message) for w in caught)
    assert search.best_params_ == {"learning_rate": 1e-6}


def test_extreme_inputs_give_finite_probabilities(blobs):
    X, y = blobs
    clf = NeuralNetworkClassifier(activation="sigmoid", max_iter=5, random_state=0)
    clf.fit(X * 1e6, y)
    proba = clf.predict_proba(X * 1e6)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


# --- saving and pickling ----------------------------------------------------------------------

def test_save_and_load_give_identical_predictions(tmp_path, blobs):
    X, y = blobs
    names = np.array(["a", "b", "c"], dtype=object)[y]
    clf = NeuralNetworkClassifier(hidden_layer_sizes=[6, 5], learning_rate=0.01,
                                  early_stopping=True, max_iter=15, random_state=2).fit(X, names)
    path = clf.save(tmp_path / "clf.npz")
    back = NeuralNetworkClassifier.load(path)
    np.testing.assert_array_equal(back.predict(X), clf.predict(X))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert back.classes_.dtype == clf.classes_.dtype and list(back.classes_) == ["a", "b", "c"]
    assert back.get_params() == {**clf.get_params(), "hidden_layer_sizes": (6, 5)}
    for name in ("n_iter_", "loss_curve_", "validation_scores_", "best_validation_score_",
                 "n_features_in_", "n_outputs_", "stopped_"):
        assert getattr(back, name) == getattr(clf, name), name
    back.partial_fit(X, names)  # a loaded estimator can go on training
    assert back.n_iter_ == clf.n_iter_ + 1
    # the file is an ordinary neuralpath model with an identity scaler
    model = load_model(path)
    assert isinstance(model, TrainedModel)
    np.testing.assert_array_equal(model.predict(X), clf.predict(X))


def test_save_and_load_a_regressor_with_feature_names(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(40, 3)), columns=["x", "y", "z"])
    for target in (frame["x"] * 2, frame[["x", "y"]].to_numpy()):
        reg = NeuralNetworkRegressor(max_iter=5, dtype="float32",
                                     random_state=np.random.default_rng(0)).fit(frame, target)
        back = NeuralNetworkRegressor.load(reg.save(tmp_path / "reg.npz"))
        np.testing.assert_array_equal(back.predict(frame), reg.predict(frame))
        np.testing.assert_array_equal(back.feature_names_in_, ["x", "y", "z"])
        assert back.random_state is None and back.dtype == "float32"


def test_load_refuses_files_of_another_kind(tmp_path, blobs):
    reg = NeuralNetworkRegressor(max_iter=2, random_state=0).fit(*blobs)
    path = reg.save(tmp_path / "reg.npz")
    with pytest.raises(ModelFileError, match="not saved by NeuralNetworkClassifier.save.*"
                                             "by NeuralNetworkRegressor"):
        NeuralNetworkClassifier.load(path)
    model, _, _ = train_preset("tutorial", seed=0, iterations=2)
    preset_path = model.save(tmp_path / "preset.npz")
    with pytest.raises(ModelFileError, match="no 'estimator' entry"):
        NeuralNetworkClassifier.load(preset_path)
    with pytest.raises(FileNotFoundError):
        NeuralNetworkRegressor.load(tmp_path / "missing.npz")
    with pytest.raises(Exception, match="fitted"):
        NeuralNetworkRegressor().save(tmp_path / "unfitted.npz")


def test_pickle_round_trip_leaves_out_the_scratch_arrays(blobs):
    X, y = blobs
    clf = NeuralNetworkClassifier(max_iter=5, random_state=0).fit(X, y)
    net = clf.network_
    assert net._workspaces  # training filled the per-batch-size scratch arrays
    back = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert back.network_._workspaces == {}
    assert clf.network_ is net and net._workspaces  # the original is untouched
    back.partial_fit(X, y)  # and it trains on
    reg = pickle.loads(pickle.dumps(NeuralNetworkRegressor(max_iter=2, random_state=0).fit(X, y)))
    assert reg.predict(X).shape == (len(X),)


# --- bad parameters and bad inputs ------------------------------------------------------------

@pytest.mark.parametrize("params, message", [
    (dict(learning_rate=-1), r"'learning_rate' parameter of NeuralNetworkClassifier must be a "
                             r"float in the range \(0.0, inf\)\. Got -1 instead"),
    (dict(activation="softplus"), r"'activation' parameter .* must be a str among .*'relu'.*"
                                  r"Got 'softplus' instead"),
    (dict(optimizer="lbfgs"), r"'optimizer' parameter .*'adam'.*Got 'lbfgs' instead"),
    (dict(cost="hinge"), r"'cost' parameter .*'cross_entropy'.*Got 'hinge' instead"),
    (dict(output_activation="tanh"), r"'output_activation' parameter .*Got 'tanh' instead"),
    (dict(max_iter=0), r"'max_iter' parameter .* in the range \[1, inf\)\. Got 0 instead"),
    (dict(batch_size=0), r"'batch_size' parameter .*None.*Got 0 instead"),
    (dict(dropout=1.0), r"'dropout' parameter .* range \[0.0, 1.0\)\. Got 1.0 instead"),
    (dict(validation_fraction=1.0), r"'validation_fraction' parameter .*Got 1.0 instead"),
    (dict(dtype="float16"), r"'dtype' parameter .*'float32'.*Got 'float16' instead"),
    (dict(random_state="seed"), r"'random_state' parameter .*Generator.*Got 'seed' instead"),
    (dict(initializer="zeros"), r"'initializer' parameter .*'auto'.*Got 'zeros' instead"),
    (dict(hidden_layer_sizes=(10, 0)), r"hidden_layer_sizes must be a positive integer or a "
                                       r"sequence of positive integers .*got \(10, 0\)"),
    (dict(hidden_layer_sizes=[10, 2.5]), r"hidden_layer_sizes .*got \[10, 2.5\]"),
])
def test_bad_parameters_name_the_parameter_what_it_takes_and_what_came(params, message, blobs):
    with pytest.raises(ValueError, match=message):
        NeuralNetworkClassifier(**params).fit(*blobs)


def test_the_regressor_has_no_cost_or_output_activation_to_set():
    with pytest.raises(TypeError, match="cost"):
        NeuralNetworkRegressor(cost="cross_entropy")
    with pytest.raises(ValueError, match="'cost'"):
        NeuralNetworkRegressor().set_params(cost="quadratic")


def test_bad_inputs(blobs):
    X, y = blobs
    clf = NeuralNetworkClassifier(max_iter=2, random_state=0)
    with pytest.raises(ValueError, match="at least 2 classes, got 1 class"):
        clf.fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(np.where(X > 2, np.nan, X), y)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but NeuralNetworkClassifier is "
                                         "expecting 4 features"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="infinity"):
        clf.predict(np.full((1, 4), np.inf))
    with pytest.raises(ValueError, match="could not convert string to float"):
        NeuralNetworkRegressor(max_iter=2).fit(X, np.array(["a"] * len(X), dtype=object))


def test_ctrl_c_stops_fit_with_a_warning_and_keeps_the_model(blobs, monkeypatch):
    import signal

    from neuralpath import estimator
    original = estimator._EpochLog.on_epoch_end

    def press_ctrl_c_after_epoch_2(self, epoch, record):
        original(self, epoch, record)
        if epoch == 1:
            signal.raise_signal(signal.SIGINT)  # what Ctrl-C sends; train() catches it

    monkeypatch.setattr(estimator._EpochLog, "on_epoch_end", press_ctrl_c_after_epoch_2)
    clf = NeuralNetworkClassifier(max_iter=50, batch_size=50, random_state=0)
    with pytest.warns(UserWarning, match="interrupted by the user"):
        clf.fit(*blobs)
    assert clf.stopped_ == "interrupted" and clf.n_iter_ == 2
    assert clf.predict(blobs[0]).shape == (len(blobs[0]),)
