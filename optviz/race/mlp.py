"""The article's network in NumPy: Flatten → Dense 300 ReLU → Dense 100 ReLU → Dense 10 softmax.

All the parameters of one network live in ONE flat vector, ``params``: each layer's weights and
bias are views into it, and their gradients the same views into ``grads``. So an optimizer step
is one call of the engine's kernel over two flat arrays, ``optviz.engine.kernels.apply``: the same
update rule that moves the points on the 2D surfaces moves the network's weights.

Several networks of one shape can also work together, as a stack: ``MLP.of(vectors)`` on a
matrix (K, P) whose rows are their parameter vectors. Each layer then holds K weight matrices
(K, inputs, outputs) and the very same layer code runs, NumPy's matmul broadcasting over the
leading axis. Each network gets exactly the numbers it would get alone (its products are the same
BLAS calls on the same operands, one per network, and everything else is element-wise or reduces
within one network), while each NumPy call is made once for all K: that is how a loss landscape
evaluates many weight sets on one batch of images. (The training race does not stack its
networks: each trains alone, by blocks of minibatches, so that its weights and optimizer state
stay in cache; see ``optviz.race.training``.)

The numbers follow Keras: float32, weights stored as (inputs, outputs) and initialised Glorot
uniform, biases zero, and the loss the mean sparse categorical cross-entropy of the softmax,
computed from the logits with log-sum-exp so that it never overflows.

Speed: the matrix products go to BLAS through ``np.matmul``, and every array a step needs is
allocated once per batch size and then reused (``out=``), which halves the time of a batch-32
step against allocating fresh arrays. The loss and its gradient, a dozen NumPy calls over a few
logits, are one compiled loop instead; the few element-wise operations left cost little next to
the products.

>>> model = MLP(hidden=(300, 100), seed=0)
>>> model.params.size, model.layers
(266610, [Dense(784 → 300), ReLU(), Dense(300 → 100), ReLU(), Dense(100 → 10)])
>>> parameter_count((300, 100))
266610
>>> stack = MLP.of(np.stack([model.params, 2 * model.params, -model.params]))
>>> stack.params.shape, stack.layers[0], stack.forward(np.ones((5, INPUTS), np.float32)).shape
((3, 266610), Dense(784 → 300, ×3), (3, 5, 10))
"""

import numpy as np

from optviz.engine import jit, kernels  # noqa: F401 (importing kernels turns on the on-disk cache of compiled code)

INPUTS = 28 * 28  # one flattened Fashion-MNIST image
CLASSES = 10
HIDDEN = (300, 100)  # the article's two hidden layers


class Dense:
    """y = x W + b, with W of shape (inputs, outputs) as Keras stores it.

    ``W`` and ``b`` are views into the network's parameter vector, ``dW`` and ``db`` the matching
    views into its gradient vector. In a stack of K networks, W is (K, inputs, outputs) and b
    (K, outputs); the input and output then have K leading rows too (but for the images, which
    every network shares).
    """

    def __init__(self, W, b, dW, db):
        self.W, self.b, self.dW, self.db = W, b, dW, db
        self.x = None  # the last input, which the backward pass needs

    def forward(self, x, y):
        """Write x W + b into ``y`` (…, n, outputs) and return it."""
        self.x = x
        np.matmul(x, self.W, out=y)
        y += self.b[..., None, :]
        return y

    def backward(self, dy, dx):
        """From dL/dy, fill dW = xᵀ dy and db = Σ dy over the batch; write dL/dx = dy Wᵀ into ``dx``.

        ``dx`` is None for the first layer: nothing needs the gradient of the images.
        """
        np.matmul(self.x.swapaxes(-1, -2), dy, out=self.dW)
        np.sum(dy, axis=-2, out=self.db)
        if dx is not None:
            np.matmul(dy, self.W.swapaxes(-1, -2), out=dx)
        return dx

    def __repr__(self):
        *stack, inputs, outputs = self.W.shape
        return f"Dense({inputs} → {outputs}{''.join(f', ×{k}' for k in stack)})"


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

    Returns ``(loss_sum, correct)`` as Python numbers for logits (n, classes), or as arrays (K,)
    for a stack's logits (K, n, classes); the sum (not the mean) lets a caller average exactly over
    batches of different sizes, as Keras does over an epoch.
    """
    single = logits.ndim == 2
    if single:  # as a stack of one
        logits, grad = logits[None], None if grad is None else grad[None]
    loss_sums, corrects = np.empty(len(logits)), np.empty(len(logits), np.int64)
    _cross_entropy(logits, labels, np.empty((0, 0, 0), logits.dtype) if grad is None else grad, loss_sums, corrects)
    return (float(loss_sums[0]), int(corrects[0])) if single else (loss_sums, corrects)


@jit.kernel(nogil=True)
def _cross_entropy(logits, labels, grad, loss_sums, corrects):
    """softmax_cross_entropy's loop over logits (K, n, classes), a row at a time: the logits are
    few (10 a row), and NumPy took a dozen calls over them, 6% of a batch-32 step. The exponentials
    are in the logits' precision, the sums in float64; ``grad`` is filled if it has rows."""
    networks, n, classes = logits.shape
    for k in range(networks):
        loss_sum, correct = 0.0, 0
        for row in range(n):
            z, label = logits[k, row], labels[row]
            top = 0
            for j in range(1, classes):
                if z[j] > z[top]:
                    top = j
            total = 0.0
            for j in range(classes):
                total += np.exp(z[j] - z[top])
            loss_sum += np.log(total) - (z[label] - z[top])
            correct += top == label
            if len(grad):
                for j in range(classes):
                    grad[k, row, j] = np.exp(z[j] - z[top]) / (total * n)
                grad[k, row, label] -= 1.0 / n
        loss_sums[k], corrects[k] = loss_sum, correct


def glorot_uniform(rng, inputs, outputs, dtype):
    """Keras's default kernel initialiser: U(−l, l) with l = √(6 / (inputs + outputs)).

    It keeps the variance of the activations and of the gradients about the same from layer to
    layer, so that neither vanishes in the first steps.
    """
    limit = np.sqrt(6.0 / (inputs + outputs))
    return rng.uniform(-limit, limit, size=(inputs, outputs)).astype(dtype)


def _layer_views(vectors, sizes):
    """Each Dense layer's (W, b) as views into ``vectors`` (…, P), in Keras's order: kernel, then
    bias, layer after layer."""
    stack, offset, views = vectors.shape[:-1], 0, []
    for inputs, outputs in zip(sizes[:-1], sizes[1:]):
        W = vectors[..., offset:offset + inputs * outputs].reshape(*stack, inputs, outputs)
        offset += inputs * outputs
        views.append((W, vectors[..., offset:offset + outputs]))
        offset += outputs
    return views


class MLP:
    """The network, its flat parameter and gradient vectors, and its forward and backward passes.

    ``hidden`` gives the width of each hidden layer (the article's (300, 100) by default);
    ``seed`` (anything ``np.random.default_rng`` takes) fixes the initial weights, so two models
    built with the same arguments start identical. ``dtype`` is float32 like Keras; the gradient
    check in the tests uses float64. :meth:`of` wraps vectors that already exist, one network's
    or a stack's (see the module docstring).

    For a stack, ``params`` and ``grads`` are (K, P), and every pass works on all K at once:
    :meth:`loss_and_gradient` and :meth:`evaluate` return arrays (K,) where a single network
    returns numbers, and :meth:`forward` logits (K, n, 10).
    """

    def __init__(self, hidden=HIDDEN, seed=0, dtype=np.float32):
        params = np.zeros(parameter_count(hidden), dtype)
        rng = np.random.default_rng(seed)
        sizes = (INPUTS, *hidden, CLASSES)
        for (W, _), (inputs, outputs) in zip(_layer_views(params, sizes), zip(sizes[:-1], sizes[1:])):
            W[...] = glorot_uniform(rng, inputs, outputs, params.dtype)  # biases stay zero
        self._wrap(params, hidden)

    @classmethod
    def of(cls, params, hidden=HIDDEN) -> "MLP":
        """The network whose parameters ARE ``params`` (P,), or the stack of K networks (K, P),
        used in place: writing to the model's weights writes to ``params``."""
        params, expected = np.asarray(params), parameter_count(hidden)
        if params.ndim not in (1, 2) or params.shape[-1] != expected:
            raise ValueError(f"parameters of the {INPUTS}-{'-'.join(map(str, hidden))}-{CLASSES} network must be "
                             f"{expected:,} numbers, or K rows of them; got shape {params.shape}")
        if params.strides[-1] != params.itemsize:
            raise ValueError(f"each parameter vector must be contiguous in memory (the layers are views into it); "
                             f"got strides {params.strides}: pass np.ascontiguousarray(params)")
        model = cls.__new__(cls)
        model._wrap(params, hidden)
        return model

    def _wrap(self, params, hidden):
        self.params, self.grads = params, np.zeros_like(params)
        self.dtype = params.dtype
        self.sizes = (INPUTS, *hidden, CLASSES)
        self.layers = []
        for (W, b), (dW, db) in zip(_layer_views(self.params, self.sizes), _layer_views(self.grads, self.sizes)):
            self.layers += [Dense(W, b, dW, db), ReLU()]
        self.layers.pop()  # the last Dense feeds the softmax, not a ReLU
        self._buffers = {}

    def _workspace(self, n):
        """Arrays for a batch of n, made once: each layer's output, and the gradient of its input.

        A ReLU works in place, so it needs neither; the first layer's input gradient is never
        computed. An epoch uses two batch sizes (full and last) and evaluation a third.
        """
        if n not in self._buffers:
            stack = self.params.shape[:-1]
            outputs, input_grads = [], []
            for index, layer in enumerate(self.layers):
                dense = isinstance(layer, Dense)
                outputs.append(np.empty((*stack, n, layer.W.shape[-1]), self.dtype) if dense else None)
                input_grads.append(np.empty((*stack, n, layer.W.shape[-2]), self.dtype) if dense and index else None)
            self._buffers[n] = outputs, input_grads, np.empty((*stack, n, CLASSES), self.dtype)
        return self._buffers[n]

    def forward(self, x, first: int = 0):
        """The logits (…, n, 10) for images ``x`` (n, 784); valid until the next call with the same n.

        From layer ``first`` on, ``x`` being that layer's input (…, n, inputs): a loss landscape
        computes the first layer of many networks at once its own way, then runs the rest here.
        """
        outputs, _, _ = self._workspace(x.shape[-2])
        for layer, out in zip(self.layers[first:], outputs[first:]):
            x = layer.forward(x, out)
        return x

    def backward(self, grad):
        """Fill ``grads`` from dL/dlogits, through the layers of the last ``forward``."""
        _, input_grads, _ = self._workspace(grad.shape[-2])
        for layer, dx in zip(reversed(self.layers), reversed(input_grads)):
            grad = layer.backward(grad, dx)

    def loss_and_gradient(self, x, labels):
        """One minibatch: forward, loss, backward into ``grads``. Returns ``(loss_sum, correct)``.

        ``grads`` then holds the gradient of the batch's mean loss, as Keras differentiates it
        (each network's own, in a stack).
        """
        _, _, dlogits = self._workspace(len(x))
        loss_sum, correct = softmax_cross_entropy(self.forward(x), labels, dlogits)
        self.backward(dlogits)
        return loss_sum, correct

    def evaluate(self, x, labels, chunk=1024):
        """Mean loss and accuracy over a whole set, a chunk of images at a time to bound memory
        (a stack of K holds the activations of K × ``chunk`` images)."""
        stack = self.params.shape[:-1]
        loss_sum, correct = np.zeros(stack), np.zeros(stack, int)  # summed in float64, like Python's floats
        for first in range(0, len(x), chunk):
            part_loss, part_correct = softmax_cross_entropy(self.forward(x[first:first + chunk]),
                                                            labels[first:first + chunk])
            loss_sum += part_loss
            correct += part_correct
        if not stack:
            return float(loss_sum) / len(x), int(correct) / len(x)
        return loss_sum / len(x), correct / len(x)
