"""The way out: to_torch and the ONNX file give the estimator's outputs (to 1e-5).

PyTorch and onnxruntime are in the test extra; the ONNX file is run by onnxruntime, not by
our own code, so a wrong graph fails here.
"""
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning

from neuralpath import TrainedModel, load
from neuralpath.estimator import NeuralNetworkClassifier, NeuralNetworkRegressor
from neuralpath.export import save_onnx, to_onnx

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")


def fitted(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def problems():
    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16.0
    Xm, Ym = make_multilabel_classification(n_samples=60, n_features=10, random_state=0)
    rng = np.random.default_rng(0)
    Xr = rng.normal(size=(80, 6))
    yr = np.column_stack([Xr[:, 0] * Xr[:, 1], np.sin(Xr[:, 2])])
    return {
        "multiclass": (NeuralNetworkClassifier((20, 10), max_iter=40, random_state=0), X, y[:300]),
        "binary": (NeuralNetworkClassifier((12,), "tanh", max_iter=40, random_state=0),
                   X, y[:300] % 2),
        "tutorial": (NeuralNetworkClassifier((30,), "logistic", output_activation="logistic",
                                             cost="quadratic", solver="sgd",
                                             learning_rate_init=0.5, batch_size=None,
                                             max_iter=50, initializer="tutorial",
                                             random_state=0), X, y[:300]),
        "multilabel": (NeuralNetworkClassifier((16,), "leaky_relu", max_iter=40, random_state=0),
                       Xm / Xm.max(), Ym),
        "regression": (NeuralNetworkRegressor(hidden_layer_sizes=(16,), activation="identity",
                                              max_iter=40, random_state=0), Xr, yr),
        "poisson": (NeuralNetworkRegressor("poisson", (4,), solver="lbfgs", max_iter=30,
                                           random_state=0), Xr, np.exp(Xr[:, 0] / 3)),
    }


def expected(est, X):
    if isinstance(est, NeuralNetworkClassifier):
        return est.predict_proba(X)
    pred = est.predict(X)
    return pred.reshape(len(X), -1)


def run_onnx(model, X):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, {"input": X.astype(np.float32)})))


@pytest.mark.parametrize("name", ["multiclass", "binary", "tutorial", "multilabel",
                                  "regression", "poisson"])
def test_onnx_file_run_by_onnxruntime_gives_the_estimators_outputs(name, tmp_path):
    est, X, y = problems()[name]
    est = fitted(est, X, y)
    path = save_onnx(est, tmp_path / "model.onnx")
    import onnx
    out = run_onnx(onnx.load(path), X)
    key = "probabilities" if isinstance(est, NeuralNetworkClassifier) else "output"
    np.testing.assert_allclose(out[key], expected(est, X), rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", ["multiclass", "binary", "tutorial", "multilabel",
                                  "regression"])
def test_to_torch_gives_the_estimators_outputs(name):
    est, X, y = problems()[name]
    est = fitted(est, X, y)
    module = est.to_torch()
    assert isinstance(module, torch.nn.Sequential)
    assert module[0].weight.shape == est.coefs_[0].T.shape  # (s_2, s_1): the tutorial's W
    with torch.no_grad():
        out = module(torch.from_numpy(X)).numpy()
    raw = est._forward_pass_fast(X)  # the network's output layer
    np.testing.assert_allclose(out, raw, rtol=0, atol=1e-5)
    if name in ("multiclass", "multilabel"):
        np.testing.assert_allclose(out, est.predict_proba(X), rtol=0, atol=1e-5)
    if name == "binary":
        np.testing.assert_allclose(out[:, 0], est.predict_proba(X)[:, 1], rtol=0, atol=1e-5)


def test_to_torch_module_trains_on_with_pytorch():
    est, X, y = problems()["multiclass"]
    est = fitted(est, X, y)
    module = est.to_torch().float()
    logits = module[:-1]  # without the softmax, for CrossEntropyLoss
    optimizer = torch.optim.SGD(logits.parameters(), lr=0.1)
    Xt, yt = torch.from_numpy(X.astype(np.float32)), torch.from_numpy(y)
    losses = []
    for _ in range(20):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits(Xt), yt)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_a_saved_model_exports_with_its_scaling_folded_in(tmp_path):
    from neuralpath.pipeline import train_preset
    model, _, _ = train_preset("tutorial", seed=0, iterations=50)
    back = load(model.save(tmp_path / "m.npz"))
    assert isinstance(back, TrainedModel)
    X = load_digits().data[:50]  # raw pixels 0..16: the scaling is in the model
    out = run_onnx(to_onnx(back), X)
    np.testing.assert_allclose(out["output"], back.output(X), rtol=0, atol=1e-5)
    np.testing.assert_allclose(out["probabilities"], back.predict_proba(X), rtol=0, atol=1e-5)
    from neuralpath.export import to_torch
    with torch.no_grad():
        torch_out = to_torch(back)(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(torch_out, back.output(X), rtol=0, atol=1e-5)


def test_poisson_has_no_torch_module_and_unfitted_is_refused():
    est, X, y = problems()["poisson"]
    with pytest.raises(ValueError, match="exponential"):
        fitted(est, X, y).to_torch()
    with pytest.raises(Exception, match="not fitted"):
        to_onnx(NeuralNetworkClassifier())
    with pytest.raises(TypeError, match="got str"):
        to_onnx("model.npz")


def test_neuralpath_export_writes_an_onnx_file_of_a_saved_pipeline(tmp_path):
    import io

    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    import neuralpath
    from neuralpath.cli import main
    X, y = load_digits(return_X_y=True)
    pipe = Pipeline([("scale", StandardScaler()),
                     ("net", NeuralNetworkClassifier((20,), max_iter=30, random_state=0))])
    fitted(pipe, X[:1000], y[:1000])
    path = neuralpath.save(pipe, tmp_path / "pipe.npz")
    out, err = io.StringIO(), io.StringIO()
    assert main(["export", str(path), "--format", "onnx"], out=out, err=err) == 0, err.getvalue()
    target = tmp_path / "pipe.onnx"
    assert out.getvalue().startswith(f"wrote {target}")
    import onnx
    result = run_onnx(onnx.load(target), X[1000:])  # raw pixels, held out
    np.testing.assert_allclose(result["probabilities"], pipe.predict_proba(X[1000:]), atol=1e-5)
    # an existing file is never overwritten silently; an unknown format is a usage error
    for argv, message in [(["export", str(path)], "exists; add --force"),
                          (["export", str(path), "--format", "torch"], "invalid choice")]:
        out, err = io.StringIO(), io.StringIO()
        assert main(argv, out=out, err=err) == 2
        assert message in err.getvalue() and len(err.getvalue().splitlines()) == 1
    assert main(["export", str(path), "--force"], out=io.StringIO(), err=io.StringIO()) == 0


def test_the_page_answers_with_a_saved_pipelines_predictions(tmp_path):
    pytest.importorskip("fastapi")
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler

    import neuralpath
    from neuralpath.web.app import create_app
    with warnings.catch_warnings():  # newer Starlette asks for httpx2 and warns on httpx
        warnings.filterwarnings("ignore", message=".*install `httpx2`")
        from fastapi.testclient import TestClient
    X, y = load_digits(return_X_y=True)  # raw pixels 0..16, what the page sends
    pipe = Pipeline([("scale", MinMaxScaler()),
                     ("net", NeuralNetworkClassifier((20,), max_iter=50, random_state=0))])
    fitted(pipe, X[:1000], y[:1000])
    path = neuralpath.save(pipe, tmp_path / "pipe.npz")
    with TestClient(create_app(model_path=str(path))) as client:
        rows = X[1000:1010]  # held out
        for row, digit, proba in zip(rows, pipe.predict(rows), pipe.predict_proba(rows)):
            answer = client.post("/api/predict", json={"pixels": row.tolist()}).json()
            assert answer["digit"] == digit
            np.testing.assert_allclose(answer["probabilities"], proba, atol=1e-6)
