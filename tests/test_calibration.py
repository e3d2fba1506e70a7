"""calibration: expected calibration error (15 bins) and temperature scaling."""
import numpy as np
import pytest

from neuralpath.calibration import apply_temperature, expected_calibration_error, fit_temperature


def overconfident(seed=0, m=3000, k=10, sharpen=3.0):
    """Labels drawn from softmax(z), and probabilities softmax(sharpen * z): too sure."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 2.0, (m, k))  # (m, k)
    truth = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(k, p=p) for p in truth])
    sharp = np.exp(sharpen * z)
    return sharp / sharp.sum(axis=1, keepdims=True), truth, y


def test_ece_of_calibrated_and_overconfident_probabilities():
    sharp, truth, y = overconfident()
    assert expected_calibration_error(truth, y) < 0.03
    assert expected_calibration_error(sharp, y) > 0.15
    one_hot_right = np.eye(10)[y]
    assert expected_calibration_error(one_hot_right, y) == 0.0  # sure and always right
    assert expected_calibration_error(np.eye(10)[(y + 1) % 10], y) == 1.0  # sure and wrong


def test_a_fitted_temperature_undoes_the_sharpening():
    sharp, _, y = overconfident(sharpen=3.0)
    t = fit_temperature(sharp, y)
    assert t == pytest.approx(3.0, rel=0.1)
    softened = apply_temperature(sharp, t)
    assert np.array_equal(softened.argmax(axis=1), sharp.argmax(axis=1))  # same answers
    assert np.allclose(softened.sum(axis=1), 1.0)
    assert expected_calibration_error(softened, y) < 0.03
    assert np.allclose(apply_temperature(sharp, 1.0), sharp)


@pytest.mark.parametrize("call, fragment", [
    (lambda: expected_calibration_error(np.ones((3, 2)) / 2, np.array([0, 1])), "shapes"),
    (lambda: expected_calibration_error(np.ones((2, 2)) / 2, np.array([0, 2])), "column"),
    (lambda: expected_calibration_error(np.ones((2, 2)) / 2, np.array([0, 1]), 0), "bins"),
    (lambda: apply_temperature(np.ones((2, 2)) / 2, 0.0), "temperature"),
    (lambda: fit_temperature(np.zeros((0, 2)), np.zeros(0, int)), "at least one row"),
])
def test_bad_arguments_are_named(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()
