"""The article's network in NumPy: Flatten → Dense 300 ReLU → Dense 100 ReLU → Dense 10 softmax.

All the parameters of one model live in ONE flat vector, ``params``: each layer's weights and
bias are views into it, and their gradients the same views into ``grads``. So an optimizer step
is one call of the engine's kernel over two flat arrays, ``optviz.engine.kernels.apply``: the same
update rule that moves the points on the 2D surfaces moves the network's weights.

The numbers follow Keras: float32, weights stored as (inputs, outputs) and initialised Glorot
uniform, biases zero, and the loss the mean sparse categorical cross-entropy of the softmax,
computed from the logits with log-sum-exp so that it never overflows.

Speed: the matrix products go to BLAS through ``np.matmul``, and every array a step needs is
allocated once per batch size and then reused (``out=``), which halves the time of a batch-32
step against allocating fresh arrays (shared/notes/perf-baselines.md, section 3). The few small
element-wise operations left cost little next to the products.

>>> model = MLP(hidden=(300, 100), seed=0)
>>> model.params.size, model.layers
(266610, [Dense(784 → 300), ReLU(), Dense(300 → 100), ReLU(), Dense(100 → 10)])
>>> parameter_count((300, 100))
266610
"""

import numpy as np

INPUTS = 28 * 28  # one flattened Fashion-MNIST image
CLASSES = 10
HIDDEN = (300, 100)  # the article's two hidden layers


class Dense:
    """y = x W + b, with W of shape (inputs, outputs) as Keras stores it.

    ``W`` and ``b`` are views into the model's parameter vector, ``dW`` and ``db`` the matching
    views into its gradient vector.
    """

    def __init__(self, W, b, dW, db):
        self.W, self.b, self.dW, self.db = W, b, dW, db
        self.x = None  # the last input, which the backward pass needs

    def forward(self, x, y):
        """Write x W + b into ``y`` (n, outputs) and return it."""
        self.x = x
        np.matmul(x, self.W, out=y)
        y += self.b
        return y

    def backward(self, dy, dx):
        """From dL/dy, fill dW = xᵀ dy and db = Σ dy over the batch; write dL/dx = dy Wᵀ into ``dx``.

        ``dx`` is None for the first layer: nothing needs the gradient of the images.
        """
        np.matmul(self.x.T, dy, out=self.dW)
        np.sum(dy, axis=0, out=self.db)
        if dx is not None:
            np.matmul(dy, self.W.T, out=dx)
        return dx

    def __repr__(self):
        return f"Dense({self.W.shape[0]} → {self.W.shape[1]})"


class ReLU:
    """y = max(x, 0), in place on the Dense output it follows."""

    def __init__(self):
        self.y = None

    def forward(self, x, y=None):
        self.y = np.maximum(x, 0, out=x)
        return self.y

    def backward(self, dy, dx=None):
        """dL/dx = dL/dy where the unit was active (y > 0), else 0; in place on ``dy``."""
        dy *= self.y > 0
        return dy

    def __repr__(self):
        return "ReLU()"


def parameter_count(hidden) -> int:
    """How many weights and biases the network with these hidden layer sizes has (without building it)."""
    sizes = (INPUTS, *hidden, CLASSES)
    return sum(inputs * outputs + outputs for inputs, outputs in zip(sizes[:-1], sizes[1:]))


def softmax_cross_entropy(logits, labels, grad=None):
    """The summed cross-entropy −log softmax(z)_y over a batch, and how many argmax(z) == y.

    Computed as logsumexp(z) − z_y with the row maximum taken out first, so no exp can overflow
    and a confident wrong answer costs a large finite loss rather than inf. If ``grad`` is given,
    it receives the gradient of the batch MEAN: (softmax(z) − onehot(y)) / n.

    Returns ``(loss_sum, correct)`` as Python numbers; the sum (not the mean) lets a caller
    average exactly over batches of different sizes, as Keras does over an epoch.
    """
    n = len(labels)
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1)
    loss_sum = float(np.sum(np.log(total) - shifted[rows, labels]))
    correct = int(np.count_nonzero(shifted.argmax(axis=1) == labels))
    if grad is not None:
        np.divide(exp, (total * n)[:, None], out=grad)
        grad[rows, labels] -= 1 / n
    return loss_sum, correct


def glorot_uniform(rng, inputs, outputs, dtype):
    """Keras's default kernel initialiser: U(−l, l) with l = √(6 / (inputs + outputs)).

    It keeps the variance of the activations and of the gradients about the same from layer to
    layer, so that neither vanishes in the first steps.
    """
    limit = np.sqrt(6.0 / (inputs + outputs))
    return rng.uniform(-limit, limit, size=(inputs, outputs)).astype(dtype)


class MLP:
    """The network, its flat parameter and gradient vectors, and its forward and backward passes.

    ``hidden`` gives the width of each hidden layer (the article's (300, 100) by default);
    ``seed`` (anything ``np.random.default_rng`` takes) fixes the initial weights, so two models
    built with the same arguments start identical. ``dtype`` is float32 like Keras; the gradient
    check in the tests uses float64.
    """

    def __init__(self, hidden=HIDDEN, seed=0, dtype=np.float32):
        self.dtype = np.dtype(dtype)
        self.sizes = (INPUTS, *hidden, CLASSES)
        shapes = list(zip(self.sizes[:-1], self.sizes[1:]))
        self.params = np.zeros(parameter_count(hidden), self.dtype)
        self.grads = np.zeros_like(self.params)
        rng = np.random.default_rng(seed)
        self.layers = []
        offset = 0
        for inputs, outputs in shapes:
            views = []
            for shape in ((inputs, outputs), (outputs,)):  # Keras's order: kernel, then bias
                size = int(np.prod(shape))
                views.append((self.params[offset:offset + size].reshape(shape),
                              self.grads[offset:offset + size].reshape(shape)))
                offset += size
            (W, dW), (b, db) = views
            W[...] = glorot_uniform(rng, inputs, outputs, self.dtype)
            self.layers += [Dense(W, b, dW, db), ReLU()]
        self.layers.pop()  # the last Dense feeds the softmax, not a ReLU
        self._buffers = {}

    def _workspace(self, n):
        """Arrays for a batch of n, made once: each layer's output, and the gradient of its input.

        A ReLU works in place, so it needs neither; the first layer's input gradient is never
        computed. An epoch uses two batch sizes (full and last) and evaluation a third.
        """
        if n not in self._buffers:
            outputs, input_grads = [], []
            for index, layer in enumerate(self.layers):
                dense = isinstance(layer, Dense)
                outputs.append(np.empty((n, layer.W.shape[1]), self.dtype) if dense else None)
                input_grads.append(np.empty((n, layer.W.shape[0]), self.dtype) if dense and index else None)
            self._buffers[n] = outputs, input_grads, np.empty((n, CLASSES), self.dtype)
        return self._buffers[n]

    def forward(self, x):
        """The logits (n, 10) for images ``x`` (n, 784); valid until the next call with the same n."""
        outputs, _, _ = self._workspace(len(x))
        for layer, out in zip(self.layers, outputs):
            x = layer.forward(x, out)
        return x

    def backward(self, grad):
        """Fill ``grads`` from dL/dlogits, through the layers of the last ``forward``."""
        _, input_grads, _ = self._workspace(len(grad))
        for layer, dx in zip(reversed(self.layers), reversed(input_grads)):
            grad = layer.backward(grad, dx)

    def loss_and_gradient(self, x, labels):
        """One minibatch: forward, loss, backward into ``grads``. Returns ``(loss_sum, correct)``.

        ``grads`` then holds the gradient of the batch's mean loss, as Keras differentiates it.
        """
        _, _, dlogits = self._workspace(len(x))
        loss_sum, correct = softmax_cross_entropy(self.forward(x), labels, dlogits)
        self.backward(dlogits)
        return loss_sum, correct

    def evaluate(self, x, labels, chunk=1024):
        """Mean loss and accuracy over a whole set, a chunk of images at a time to bound memory."""
        loss_sum, correct = 0.0, 0
        for first in range(0, len(x), chunk):
            part_loss, part_correct = softmax_cross_entropy(self.forward(x[first:first + chunk]),
                                                            labels[first:first + chunk])
            loss_sum += part_loss
            correct += part_correct
        return loss_sum / len(x), correct / len(x)
