"""Issue 22: training data that stays small. ``data.ImageRows`` keeps the images as stored
(uint8 IDX pixels) and makes each batch's shifted copies and scaling as the loop takes it:
the same rows as ``shift_augment`` of the scaled images, the same training, a resumable run,
and prepared data whose size does not grow with the number of copies."""
import numpy as np
import pytest

from neuralpath import data
from neuralpath.network import Network
from neuralpath.pipeline import prepare, train_config
from neuralpath.presets import PRESETS
from neuralpath.training import train

SIDE = 6


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (40, SIDE * SIDE)).astype(np.uint8)
    X[:, :SIDE] = 0  # a blank first row, as digits have
    y = rng.integers(0, 3, 40)
    return X, y


def test_rows_are_shift_augment_of_the_scaled_images_in_its_order(images):
    X, y = images
    mean, scale = X.mean(axis=0), X.std(axis=0) + 1.0
    rows = data.ImageRows(X, mean, scale, shifts=True)
    dense, y_dense = data.shift_augment(X.astype(np.float64), y, SIDE)
    expected = (dense - mean) / scale
    assert rows.shape == expected.shape == (5 * len(X), SIDE * SIDE)
    np.testing.assert_array_equal(np.asarray(rows), expected)  # float64: the very numbers
    pick = np.random.default_rng(1).permutation(len(rows))[:37]
    for dtype in (np.float64, np.float32):
        out = np.empty((37, SIDE * SIDE), dtype)
        rows.take_rows(pick, out)
        np.testing.assert_allclose(out, expected[pick], rtol=1e-6, atol=1e-6)
    labels = data.OneHotRows(y, np.unique(y), rows.copies)
    np.testing.assert_array_equal(labels.take_rows(pick, np.empty((37, 3))),
                                  data.one_hot(y_dense, np.unique(y))[pick])


def test_training_on_rows_equals_training_on_the_dense_copies(images):
    """float64: the source's batches are the dense array's, so the weights are identical."""
    X, y = images
    mean, scale = np.zeros(X.shape[1]), np.full(X.shape[1], 255.0)
    classes = np.unique(y)
    dense, y_dense = data.shift_augment(X.astype(np.float64), y, SIDE)
    settings = dict(epochs=3, batch_size=16, optimizer="adam", learning_rate=0.01,
                    dropout=0.2, handle_interrupt=False)
    nets = [Network([SIDE * SIDE, 8, 3], "relu", "softmax", "cross_entropy", "he",
                    random_state=0) for _ in range(2)]
    train(nets[0], (dense - mean) / scale, data.one_hot(y_dense, classes), **settings)
    train(nets[1], data.ImageRows(X, mean, scale, shifts=True),
          data.OneHotRows(y, classes, 5), **settings)
    for a, b in zip(*(net.params for net in nets)):
        np.testing.assert_array_equal(a, b)


def test_a_resumed_augmented_run_ends_with_the_uninterrupted_weights(images):
    X, y = images
    rows = data.ImageRows(X, np.zeros(X.shape[1]), np.full(X.shape[1], 255.0), shifts=True)
    labels = data.OneHotRows(y, np.unique(y), rows.copies)
    cfg = PRESETS["mnist"].replace(layer_sizes=[SIDE * SIDE, 12, 3], iterations=None,
                                   epochs=6, batch_size=32)

    def fresh(seed=0):
        return Network(cfg.layer_sizes, cfg.activation, cfg.output_activation, cfg.cost,
                       cfg.initializer, random_state=seed, dtype=cfg.dtype)

    whole = fresh()
    train(whole, rows, labels, cfg, handle_interrupt=False)
    states = []
    train(fresh(), rows, labels, cfg, handle_interrupt=False, checkpoint=states.append,
          checkpoint_every=2)
    resumed = fresh(seed=5)
    train(resumed, rows, labels, cfg, handle_interrupt=False, resume=states[0])
    for a, b in zip(whole.params, resumed.params):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-12)


def test_prepared_data_does_not_grow_with_the_copies(tmp_path):
    """An IDX set prepared with and without shifted copies: the same bytes are held (the
    uint8 images), though the loop sees 5 times the rows; they are never converted whole."""
    from idx_sets import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, idx_bytes, write
    rng = np.random.default_rng(3)
    for name, array in ((TRAIN_IMAGES, rng.integers(0, 256, (300, 28, 28))),
                        (TRAIN_LABELS, rng.integers(0, 10, 300)),
                        (TEST_IMAGES, rng.integers(0, 256, (50, 28, 28))),
                        (TEST_LABELS, rng.integers(0, 10, 50))):
        write(str(tmp_path), name, idx_bytes(array), gz=True)
    parts = {augment: prepare(PRESETS["mnist"].replace(augment=augment), str(tmp_path))
             for augment in (False, True)}
    plain, shifted = parts[False]["X_train"], parts[True]["X_train"]
    assert len(shifted) == 5 * len(plain) == 5 * 300
    assert plain.images.dtype == shifted.images.dtype == np.uint8
    assert shifted.nbytes == plain.nbytes == 300 * 784  # the images as read, once
    assert len(parts[True]["y_train"]) == len(shifted)


def test_the_mnist_preset_trains_on_rows_from_idx_files(tmp_path):
    from idx_sets import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, idx_bytes, write
    rng = np.random.default_rng(4)
    y = rng.integers(0, 10, 260)
    X = np.zeros((260, 28, 28), np.uint8)
    for i, label in enumerate(y):  # a bright square whose place says the label
        X[i, 2 + 2 * label:8 + 2 * label, 10:16] = 255
    for name, array in ((TRAIN_IMAGES, X[:200]), (TRAIN_LABELS, y[:200]),
                        (TEST_IMAGES, X[200:]), (TEST_LABELS, y[200:])):
        write(str(tmp_path), name, idx_bytes(array), gz=False)
    cfg = PRESETS["mnist"].replace(iterations=150, layer_sizes=[784, 32, 10])
    model, history, metrics = train_config(cfg, data_dir=str(tmp_path), handle_interrupt=False)
    assert history.iterations == 150 and metrics["test_accuracy"] >= 0.9
