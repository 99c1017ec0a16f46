"""Tests for optviz.race.mlp: the network's gradients, its initialisation, its loss and its layout."""

import numpy as np
import pytest

from optviz.race.mlp import (
    CLASSES,
    HIDDEN,
    INPUTS,
    MLP,
    Dense,
    ReLU,
    softmax_cross_entropy,
)


def small_batch(n=6, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return rng.random((n, INPUTS)).astype(dtype), rng.integers(0, CLASSES, n)


def test_gradients_match_finite_differences():
    """Every parameter's gradient, in float64, against a central difference of the mean loss."""
    model = MLP(hidden=(7, 5), seed=1, dtype=np.float64)
    model.params += np.random.default_rng(2).normal(0, 0.1, model.params.size)  # non-zero biases too
    x, y = small_batch()
    model.loss_and_gradient(x, y)
    analytic = model.grads.copy()
    numeric = np.empty_like(analytic)
    eps = 1e-6
    for j in range(model.params.size):
        keep = model.params[j]
        model.params[j] = keep + eps
        up, _ = model.evaluate(x, y)
        model.params[j] = keep - eps
        down, _ = model.evaluate(x, y)
        model.params[j] = keep
        numeric[j] = (up - down) / (2 * eps)
    assert np.abs(analytic).max() > 0.01  # a check of something
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_the_article_network_keras_layout_and_float32():
    model = MLP()
    assert model.sizes == (784, 300, 100, 10) and HIDDEN == (300, 100)
    assert [type(layer) for layer in model.layers] == [Dense, ReLU, Dense, ReLU, Dense]
    assert model.params.size == 784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10 == 266_610
    assert model.params.dtype == model.grads.dtype == np.float32
    # Keras's order: kernel (inputs, outputs), then bias, layer after layer, all views of one vector
    offset = 0
    for dense in model.layers[::2]:
        for view, grad in ((dense.W, dense.dW), (dense.b, dense.db)):
            assert np.shares_memory(view, model.params) and np.shares_memory(grad, model.grads)
            assert view.ctypes.data == model.params.ctypes.data + 4 * offset
            assert grad.ctypes.data == model.grads.ctypes.data + 4 * offset
            offset += view.size
    assert offset == model.params.size


def test_glorot_uniform_weights_and_zero_biases():
    model = MLP(seed=3)
    for dense in model.layers[::2]:
        inputs, outputs = dense.W.shape
        limit = np.sqrt(6 / (inputs + outputs))
        assert np.abs(dense.W).max() <= limit
        assert np.abs(dense.W).max() > 0.99 * limit  # uniform over the whole range
        assert abs(dense.W.std() - limit / np.sqrt(3)) < 0.05 * limit  # the uniform's σ = l/√3
        assert not dense.b.any()


def test_same_seed_same_weights():
    assert np.array_equal(MLP(seed=5).params, MLP(seed=5).params)
    assert not np.array_equal(MLP(seed=5).params, MLP(seed=6).params)


def test_loss_is_stable_for_huge_logits_and_its_gradient_is_softmax_minus_onehot():
    logits = np.array([[1e4, 0.0, -1e4], [0.0, 0.0, 0.0], [50.0, 60.0, 70.0]], np.float32)
    labels = np.array([1, 2, 2])
    grad = np.empty_like(logits)
    loss_sum, correct = softmax_cross_entropy(logits, labels, grad)
    expected = [1e4, np.log(3), -np.log(np.exp(70 - 70.0) / (np.exp(-20.0) + np.exp(-10.0) + 1))]
    assert loss_sum == pytest.approx(sum(expected), rel=1e-6)
    assert correct == 1  # only the last row's argmax is right; row 2 is a tie, argmax 0
    probabilities = np.exp(logits - logits.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    np.testing.assert_allclose(grad, (probabilities - np.eye(3)[labels]) / 3, atol=1e-7)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_logit_gives_a_non_finite_loss(bad):
    """What the race takes for divergence. A logit of −inf only rules its class out, which costs
    nothing unless it is the true class."""
    for column in range(3):
        logits = np.array([[0.5, -1.0, 2.0], [1.0, 2.0, 3.0]], np.float32)
        logits[0, column] = bad
        loss_sum, _ = softmax_cross_entropy(logits, np.array([0, 1]))
        assert np.isfinite(loss_sum) == (bad == -np.inf and column != 0), (bad, column, loss_sum)


def test_evaluate_in_chunks_equals_one_pass():
    model = MLP(hidden=(20,), seed=0)
    x, y = small_batch(50, dtype=np.float32)
    whole = model.evaluate(x, y, chunk=50)
    assert model.evaluate(x, y, chunk=7) == pytest.approx(whole, rel=1e-6)
    loss_sum, correct = softmax_cross_entropy(model.forward(x), y)
    assert whole == pytest.approx((loss_sum / 50, correct / 50))


def test_the_forward_pass_is_relu_dense_in_plain_numpy():
    model = MLP(hidden=(12, 8), seed=4)
    x, _ = small_batch(5, dtype=np.float32)
    h = x
    for dense in model.layers[::2]:
        z = h @ dense.W + dense.b
        h = np.maximum(z, 0)
    np.testing.assert_allclose(model.forward(x), z, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("hidden, n", [((300, 100), 32), ((7, 5, 3), 5), ((16,), 1)])
def test_a_stack_gives_each_network_exactly_what_it_gets_alone(hidden, n):
    """The same numbers, bit for bit: forward, loss, gradient and evaluation, whatever the stack's size."""
    stack = MLP.of(np.stack([MLP(hidden, seed=seed).params for seed in range(4)]), hidden)
    x, y = small_batch(n, dtype=np.float32)
    loss_sums, corrects = stack.loss_and_gradient(x, y)
    logits = stack.forward(x).copy()
    losses, accuracies = stack.evaluate(x, y, chunk=3)
    assert loss_sums.shape == corrects.shape == losses.shape == accuracies.shape == (4,)
    for k in range(4):
        alone = MLP.of(stack.params[k].copy(), hidden)
        assert alone.loss_and_gradient(x, y) == (loss_sums[k], corrects[k])
        assert np.array_equal(alone.grads, stack.grads[k])
        assert np.array_equal(alone.forward(x), logits[k])
        assert alone.evaluate(x, y, chunk=3) == (losses[k], accuracies[k])
    assert len({float(loss) for loss in loss_sums}) == 4  # they did differ


def test_a_stacks_layers_are_views_of_each_networks_vector():
    vectors = np.stack([MLP((12, 8), seed=seed).params for seed in range(3)])
    stack = MLP.of(vectors, (12, 8))
    assert stack.params is vectors and stack.grads.shape == vectors.shape
    for dense in stack.layers[::2]:
        for view, whole in ((dense.W, stack.params), (dense.b, stack.params), (dense.dW, stack.grads),
                            (dense.db, stack.grads)):
            assert np.shares_memory(view, whole) and len(view) == 3
    second = MLP((12, 8), seed=1)
    assert all(np.array_equal(dense.W[1], alone.W) for dense, alone in zip(stack.layers[::2], second.layers[::2]))
    stack.layers[2].W[1] += 1  # the second network's second layer, and only it
    assert np.array_equal(vectors[0], MLP((12, 8), seed=0).params)
    assert not np.array_equal(vectors[1], second.params) and np.array_equal(vectors[2], MLP((12, 8), seed=2).params)


def test_of_wraps_the_vectors_in_place_and_refuses_the_wrong_size():
    vectors = np.zeros((2, MLP((4,)).params.size), np.float32)
    wrapped = MLP.of(vectors, (4,))
    wrapped.layers[0].b[:] = 1
    assert vectors[:, 784 * 4:784 * 4 + 4].sum() == 8
    with pytest.raises(ValueError, match=r"the 784-4-10 network must be 3,190 numbers, or K rows of them; got shape \(5,\)"):
        MLP.of(np.zeros(5), (4,))
    with pytest.raises(ValueError, match=r"each parameter vector must be contiguous in memory .* got strides \(16,\)"):
        MLP.of(np.zeros(2 * 3190)[::2], (4,))
