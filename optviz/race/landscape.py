"""The loss landscape of a trained race: the network's loss over a plane through weight space,
with every optimizer's path drawn on the same plane.

This is the picture researchers draw of a real network (Goodfellow et al., "Qualitatively
characterizing neural network optimization problems", 2015; Li et al., "Visualizing the Loss
Landscape of Neural Nets", 2018), for the race the class watched. A race asked for checkpoints
(``run_race(..., checkpoints=True)``) keeps each optimizer's weights at its start, a few times in
its first epoch and after every epoch; all start from the same first weights W₀, so all paths can
share one plane. A plane is an origin O and two directions D₁, D₂; its point (a, b) is the network
whose weights are O + a·D₁ + b·D₂. The planes (:data:`PLANES`):

* ``endpoints``: through W₀ and the final weights of two optimizers, which lie exactly on it. The
  directions are orthonormal (the first towards the first optimizer's solution), so the map is to
  scale: a and b are distances in weight space.
* ``pca``: through W₀, along the two directions in which all optimizers' checkpoints, measured
  from W₀, spread the most (the top two singular vectors of their displacements, uncentred so
  that every path starts at the origin). One plane for all paths, unlike a PCA of each path.
* ``random``: around one optimizer's final weights, along two random directions filter-normalized
  as Li et al. do it: each neuron's incoming weights in a direction are scaled to the norm of that
  neuron's weights, and the biases do not move. a and b count those directions.

A checkpoint off the plane is drawn where it projects (the nearest point of the plane), with its
``residual``: its distance from the plane relative to its distance from the plane's origin, the
sine of its angle to the plane (so 0 on it, 1 at right angles; for ``endpoints`` and ``pca`` the
origin is W₀, as the path's distance from its start). Beside the plane, the 1D views: the loss on
the straight line from W₀ through each optimizer's final weights (Goodfellow et al.), and on the
line through two optimizers' solutions, t = 0 and t = 1 being its ends.

The loss is the network's (mean cross-entropy, float32 like the race, summed in float64) on a
fixed sample of the training images and one of the validation images, of :attr:`Settings.images`
each (all of a set that has fewer).

Speed. The first layer is linear in the plane's coordinates: X·(W₀ + a·D₁ + b·D₂) = X·W₀ + a·X·D₁
+ b·X·D₂, so the whole grid needs three products with the images X in the first layer, not one per
point (three quarters of the article's network's work is there); the rest of the network runs per
point, a batch of points at once through ``MLP.of`` and its stacked layers, and a chunk of images
at a time so that the first layer's three products stay in the processor's cache while a batch
uses them. ``python -m benchmarks.landscape`` measures it against a plain PyTorch loop.
"""

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from optviz.engine import jit
from optviz.optimizers import OPTIMIZERS
from optviz.race.mlp import MLP, parameter_count, softmax_cross_entropy
from optviz.race.training import one_blas_thread, whole_number

#: The planes, each in two sentences: what it shows, and what it hides (see :func:`explain`).
PLANES = ("endpoints", "pca", "random")
MIN_GRID, MAX_GRID, GRID = 5, 101, 51
#: Images of each set (training, validation) the loss is measured on.
MIN_IMAGES, MAX_IMAGES, IMAGES = 50, 5000, 1000
#: The fixed sample of images: the same for every landscape, so that two planes compare.
SAMPLE_SEED = 0
#: The 1D views: t from LINE_RANGE[0] to LINE_RANGE[1] (0 and 1 are the line's two ends).
LINE_RANGE, LINE_POINTS = (-0.5, 1.5), 41
#: Room left around the paths in the window of ``endpoints`` and ``pca``, as a share of its larger side.
MARGIN = 0.2
#: ``random``'s window reaches at least this far along each direction, as Li et al. draw it.
RANDOM_REACH = 1.0
#: Points evaluated together (one stacked network each), and images per chunk: the first layer's
#: three products of a chunk (250 × 300 × 3 floats for the article's network) stay in the cache
#: while the batch uses them; measured on the benchmark's grid, 8 and 250 were the quickest here.
BATCH_POINTS, CHUNK_IMAGES = 8, 250
#: Checkpoints whose own loss is evaluated together (each a whole network).
BATCH_CHECKPOINTS = 8


class Stopped(Exception):
    """The computation was asked to stop (``should_stop``); nothing of it is kept."""


@dataclass(frozen=True)
class Settings:
    """What determines a landscape of a race, besides the race. Checked on construction;
    :meth:`for_race` checks the optimizers against the race.

    ``through``: optimizers of the race. ``endpoints`` goes through the final weights of the two;
    ``random`` is centred on the first one's; and the 1D view between two solutions joins the two,
    on every plane. By default, the race's first two optimizers (or its only one).
    ``grid``: points along each side of the plane's window. ``images``: of each set, training and
    validation.
    """

    plane: str = "pca"
    through: tuple = ()
    grid: int = GRID
    images: int = IMAGES

    def __post_init__(self):
        if self.plane not in PLANES:
            raise ValueError(f"unknown plane {self.plane!r}; the planes are {', '.join(PLANES)}")
        through = (self.through,) if isinstance(self.through, str) else self.through
        try:
            through = tuple(through)
        except TypeError:
            raise ValueError(f"through must list optimizers, got {self.through!r}") from None
        if len(through) > 2 or not all(isinstance(name, str) for name in through):
            raise ValueError(f"through takes one or two optimizers of the race, got {self.through!r}")
        unknown = [name for name in through if name not in OPTIMIZERS]
        if unknown:
            raise ValueError(f"unknown optimizer {', '.join(map(repr, unknown))} in through; the optimizers are "
                             f"{', '.join(OPTIMIZERS)}")
        if len(set(through)) < len(through):
            raise ValueError(f"through names {through[0]!r} twice: a plane needs two different optimizers")
        object.__setattr__(self, "through", through)
        object.__setattr__(self, "grid", whole_number("grid", self.grid, MIN_GRID, MAX_GRID))
        object.__setattr__(self, "images", whole_number("images", self.images, MIN_IMAGES, MAX_IMAGES))

    def for_race(self, optimizers) -> "Settings":
        """These settings for a race of ``optimizers``: ``through`` checked against it, or its default."""
        optimizers = tuple(optimizers)
        missing = [name for name in self.through if name not in optimizers]
        if missing:
            raise ValueError(f"{', '.join(map(repr, missing))} did not run in this race; through takes optimizers "
                             f"of the race: {', '.join(optimizers)}")
        through = self.through or optimizers[:2]
        if self.plane == "endpoints" and len(through) < 2:
            raise ValueError("the endpoints plane goes through the solutions of two optimizers: "
                             + ("name two in through" if len(optimizers) > 1 else "this race has only one"))
        return Settings(self.plane, through, self.grid, self.images)

    def to_dict(self) -> dict:
        return {**asdict(self), "through": list(self.through)}


@dataclass
class Landscape:
    """A computed landscape, as ``python -m optviz landscape --json`` writes it (:meth:`to_dict`).

    ``train_loss`` and ``val_loss`` are (len(b), len(a)): rows b, columns a. ``paths`` give, per
    optimizer and checkpoint, its ``epoch`` (fractional within the first), ``step``, plane
    coordinates ``a`` and ``b``, ``residual`` (see the module docstring), its own ``train_loss`` and
    ``val_loss``, and the plane's at its projection (``plane_train_loss``, ``plane_val_loss``: what
    the map shows under it). ``explained``: the share of the paths' movement from the plane's
    origin (their summed squared distances) that lies in the plane, of all of them (``all``) and of
    each (``paths``). ``lines``: the 1D views, t and the losses along each line.
    """

    plane: str
    through: list
    origin: str  # "first weights", or the optimizer whose final weights are the origin
    axes: dict
    train_loss: np.ndarray
    val_loss: np.ndarray
    paths: dict
    explained: dict
    lines: dict
    images: dict
    seconds: float = 0.0
    race: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        plain = asdict(self)
        for name in ("train_loss", "val_loss"):
            plain[name] = np.asarray(plain[name]).tolist()
        return plain

    @classmethod
    def from_dict(cls, plain: dict) -> "Landscape":
        values = dict(plain)
        for name in ("train_loss", "val_loss"):
            values[name] = np.array(values[name], dtype=np.float64)
        return cls(**values)

    def loss(self, which: str) -> np.ndarray:
        """The grid's ``train`` or ``val`` loss."""
        return {"train": self.train_loss, "val": self.val_loss}[which]


# ---------------------------------------------------------------------------------------------
# Checkpoints.


def collector():
    """``(on_event, checkpoints)`` for ``run_race(..., checkpoints=True, on_event=on_event)``:
    ``checkpoints`` fills with each optimizer's ``[(epoch_position, weights), ...]``."""
    checkpoints = {}

    def on_event(optimizer, record):
        if record["kind"] == "checkpoint":
            checkpoints.setdefault(optimizer, []).append((record["epoch_position"], record["weights"]))

    return on_event, checkpoints


def _paths(race, checkpoints) -> dict:
    """Each optimizer's checkpoints in order, checked: every optimizer of the race has some, the
    first at position 0, and all start from the same weights."""
    size = parameter_count(race.hidden)
    paths = {}
    for name in race.optimizers:
        kept = sorted(checkpoints.get(name, ()), key=lambda point: point[0])
        if not kept or kept[0][0] != 0:
            raise ValueError(f"the race kept no checkpoints of {name}: it was trained without them (train it again)")
        for _, weights in kept:
            if np.shape(weights) != (size,):
                raise ValueError(f"a checkpoint of {name} has shape {np.shape(weights)}, not the race network's "
                                 f"({size},)")
        paths[name] = kept
    first = paths[race.optimizers[0]][0][1]
    for name, kept in paths.items():
        if not np.array_equal(kept[0][1], first):
            raise ValueError(f"{name} did not start from the same weights as {race.optimizers[0]}")
    return paths


def _final(paths, name) -> np.ndarray:
    """An optimizer's last kept weights; a run that never moved (diverged at once) has none."""
    if len(paths[name]) < 2:
        raise ValueError(f"{name} kept no weights beyond its first (it diverged before its first checkpoint)")
    return paths[name][-1][1]


# ---------------------------------------------------------------------------------------------
# Planes: an origin (float32, a network's weights) and two directions (float64, P each).


def _orthonormal(first, second, what) -> np.ndarray:
    """Gram-Schmidt: the unit vector along ``first``, and the unit one along what of ``second`` is
    at right angles to it."""
    norm = np.linalg.norm(first)
    if norm == 0:
        raise ValueError(f"{what}: the first direction is zero")
    e1 = first / norm
    rest = second - (second @ e1) * e1
    if np.linalg.norm(rest) <= 1e-9 * np.linalg.norm(second):
        raise ValueError(f"{what}: the two directions are parallel, so they span no plane")
    return np.stack([e1, rest / np.linalg.norm(rest)])


def endpoints_plane(paths, through) -> tuple:
    """W₀, and orthonormal directions towards the first optimizer's solution and, at right angles,
    the second's."""
    first = paths[through[0]][0][1]
    origin = first.astype(np.float64)
    towards = [_final(paths, name).astype(np.float64) - origin for name in through]
    return first, _orthonormal(*towards, f"the solutions of {through[0]} and {through[1]} and the first weights")


def pca_plane(paths, chunk=8192) -> tuple:
    """W₀, and the two directions along which all checkpoints' displacements from it spread most.

    Computed through the small Gram matrix of the displacements (checkpoints × checkpoints), in
    float64 and by chunks of ``chunk`` parameters, so that no float64 copy of all checkpoints is made.
    """
    first = next(iter(paths.values()))[0][1]
    origin = first.astype(np.float64)
    moved = [weights for kept in paths.values() for _, weights in kept[1:]]
    if len(moved) < 2:
        raise ValueError("the pca plane needs at least two checkpoints beyond the first weights")
    gram = np.zeros((len(moved), len(moved)))
    for start in range(0, origin.size, chunk):
        block = np.stack([w[start:start + chunk] for w in moved]).astype(np.float64) - origin[start:start + chunk]
        gram += block @ block.T
    values, vectors = np.linalg.eigh(gram)
    values, vectors = values[::-1][:2], vectors[:, ::-1][:, :2]
    if values[1] <= 1e-12 * values[0]:
        raise ValueError("the checkpoints move along a single direction: they span no plane")
    # Each checkpoint's coordinates are √λ·u; turn each axis so that the checkpoints lie mostly on its + side.
    vectors *= np.where(vectors.sum(axis=0) < 0, -1.0, 1.0)
    directions = np.zeros((2, origin.size))
    for weights, row in zip(moved, vectors):
        directions += np.outer(row, weights.astype(np.float64) - origin)
    directions /= np.sqrt(values)[:, None]
    return first, directions


def random_plane(paths, centre, hidden, seed) -> tuple:
    """``centre``'s final weights, and two Gaussian directions filter-normalized against them."""
    origin = _final(paths, centre)
    rng = np.random.default_rng([seed, 11])
    directions = rng.standard_normal((2, origin.size))
    for direction in directions:
        filter_normalize(direction, origin, hidden)
    return origin, directions


def filter_normalize(direction, weights, hidden) -> None:
    """Scale ``direction`` in place, neuron by neuron, to the norms of ``weights`` (Li et al.): each
    neuron's incoming weights in it get the norm of that neuron's incoming weights in ``weights``,
    and its biases are zero, so that a step along it changes every layer by the same share."""
    for moved, held in zip(MLP.of(direction, hidden).layers[::2], MLP.of(weights, hidden).layers[::2]):
        norms = np.linalg.norm(moved.W, axis=0)  # (outputs,): each neuron's column, as Keras stores W
        moved.W *= np.linalg.norm(held.W.astype(direction.dtype), axis=0) / np.where(norms > 0, norms, 1.0)
        moved.b[...] = 0.0


def project(weights, origin, directions) -> tuple:
    """The plane coordinates (2,) of the point of the plane nearest ``weights``, and its residual:
    the distance from the plane over the distance from the origin (0 at the origin itself)."""
    offset = weights.astype(np.float64) - origin.astype(np.float64)
    coordinates = np.linalg.solve(directions @ directions.T, directions @ offset)
    distance = np.linalg.norm(offset)
    residual = np.linalg.norm(offset - coordinates @ directions) / distance if distance > 0 else 0.0
    return coordinates, float(residual)


# ---------------------------------------------------------------------------------------------
# The loss on a plane, batched.


@jit.kernel(nogil=True)
def _first_layer(products, coordinates, out):
    """out[k] = ReLU(products[0] + a_k·products[1] + b_k·products[2]): the first layer of the network
    at plane point k = (a_k, b_k), from the images' products with the origin and the two directions
    (the biases are in them). One pass over the products per point, none of the four temporaries
    NumPy would make."""
    points, rows, units = out.shape
    for k in range(points):
        a, b = coordinates[k, 0], coordinates[k, 1]
        for i in range(rows):
            for j in range(units):
                value = products[0, i, j] + a * products[1, i, j] + b * products[2, i, j]
                out[k, i, j] = value if value > 0 else np.float32(0)


class PlaneLoss:
    """The network's mean loss at points of one plane, on one set of images.

    Made once per plane and set: the first layer's products of the images with the origin and the
    two directions, biases included (the first layer of ``MLP.of`` on the three as a stack), by
    chunks of :data:`CHUNK_IMAGES` images. Then :meth:`at` evaluates any points,
    :data:`BATCH_POINTS` at a time as one stack of networks of which only the layers after the
    first are filled in.
    """

    def __init__(self, origin, directions, hidden, x, labels):
        self.hidden, self.labels, self.images = hidden, labels, len(x)
        self.origin = np.asarray(origin, np.float32)
        self.directions = np.asarray(directions, np.float32)
        three = MLP.of(np.stack([self.origin, *self.directions]), hidden)
        self.first_size = three.layers[0].W[0].size + three.layers[0].b[0].size
        self.chunks = []  # per chunk of images: its products (3, rows, units), and the first layer's output
        for first in range(0, len(x), CHUNK_IMAGES):
            rows = len(x[first:first + CHUNK_IMAGES])
            products = np.empty((3, rows, hidden[0]), np.float32)
            three.layers[0].forward(x[first:first + CHUNK_IMAGES], products)
            self.chunks.append((first, products, np.empty((BATCH_POINTS, rows, hidden[0]), np.float32)))
        self.weights = np.zeros((BATCH_POINTS, self.origin.size), np.float32)
        self.model = MLP.of(self.weights, hidden)  # its layers are views into self.weights

    def at(self, coordinates, tick=None) -> np.ndarray:
        """The mean loss (float64) at each of the points ``coordinates`` (k, 2); ``tick(points)`` is
        called after each batch."""
        coordinates = np.asarray(coordinates, np.float32).reshape(-1, 2)
        losses = np.empty(len(coordinates))
        tail = slice(self.first_size, None)
        batch = np.zeros((BATCH_POINTS, 2), np.float32)
        for start in range(0, len(coordinates), BATCH_POINTS):
            count = len(coordinates[start:start + BATCH_POINTS])
            batch[:count] = coordinates[start:start + count]
            np.matmul(batch, self.directions[:, tail], out=self.weights[:, tail])
            self.weights[:, tail] += self.origin[tail]
            sums = np.zeros(BATCH_POINTS)
            for first, products, hidden_out in self.chunks:
                _first_layer(products, batch, hidden_out)
                sums += softmax_cross_entropy(self.model.forward(hidden_out, first=2),
                                              self.labels[first:first + len(products[0])])[0]
            losses[start:start + count] = sums[:count] / self.images
            if tick is not None:
                tick(count)
        return losses


# ---------------------------------------------------------------------------------------------
# A whole landscape.


def sample(split, images) -> dict:
    """The fixed samples the losses are measured on: ``images`` of the training set and of the
    validation set (all of a set that has fewer), drawn once from :data:`SAMPLE_SEED` and kept in
    the sets' order. ``{"train": (x, labels), "val": (x, labels)}``."""
    chosen = {}
    for which, x, labels in (("train", split.x_train, split.y_train), ("val", split.x_val, split.y_val)):
        if len(labels) == 0:
            raise ValueError(f"the {which} set has no images")
        rows = np.sort(np.random.default_rng(SAMPLE_SEED).permutation(len(labels))[:images])
        chosen[which] = (np.ascontiguousarray(x[rows]), labels[rows])
    return chosen


class _Progress:
    """Counts work done (in units of one plane point on one image), reports the share done, and
    raises :class:`Stopped` when asked to stop."""

    def __init__(self, total, progress, should_stop):
        self.total, self.done = total, 0.0
        self.progress = progress or (lambda share: None)
        self.should_stop = should_stop or (lambda: False)

    def __call__(self, units) -> None:
        self.done += units
        self.progress(min(1.0, self.done / self.total))
        if self.should_stop():
            raise Stopped()


def compute(race, checkpoints, split, settings: Settings, *, progress=None, should_stop=None) -> Landscape:
    """The landscape of ``race`` (a RaceConfig) on the plane ``settings`` asks for.

    ``checkpoints`` maps each optimizer to its ``[(epoch_position, weights), ...]`` (see
    :func:`collector`); ``split`` is the race's data (``optviz.race.data.Split``). ``progress(share)``
    is called as the work advances, and ``should_stop()`` between batches: if it returns True,
    :class:`Stopped` is raised and nothing is returned. Raises ValueError for settings the race
    cannot satisfy, each error naming what is wrong.
    """
    began = time.perf_counter()
    settings = settings.for_race(race.optimizers)
    paths = _paths(race, checkpoints)
    one_blas_thread()
    hidden, through = race.hidden, settings.through
    if settings.plane == "endpoints":
        origin, directions = endpoints_plane(paths, through)
    elif settings.plane == "pca":
        origin, directions = pca_plane(paths)
    else:
        origin, directions = random_plane(paths, through[0], hidden, race.seed)
    projected = {name: [project(weights, origin, directions) for _, weights in kept] for name, kept in paths.items()}
    a, b = _window(settings, projected)
    grid = np.stack(np.meshgrid(a, b), axis=-1).reshape(-1, 2)
    at_checkpoints = np.array([coordinates for points in projected.values() for coordinates, _ in points])
    sets = sample(split, settings.images)
    first = paths[race.optimizers[0]][0][1]
    lines = {name: (first, _final(paths, name)) for name in race.optimizers if len(paths[name]) > 1}
    if len(through) == 2:
        lines[tuple(through)] = (_final(paths, through[0]), _final(paths, through[1]))
    t = np.linspace(*LINE_RANGE, LINE_POINTS)
    whole = parameter_count(hidden) / (parameter_count(hidden) - hidden[0] * (784 + 1))  # a checkpoint's cost
    images = sum(len(labels) for _, labels in sets.values())
    count = sum(len(kept) for kept in paths.values())
    tick = _Progress(images * (len(grid) + len(at_checkpoints) + len(lines) * LINE_POINTS + whole * count),
                     progress, should_stop)

    grids, on_plane, along, own = {}, {}, {}, {}
    for which, (x, labels) in sets.items():
        def ticks(points, n=len(labels)):
            tick(points * n)

        plane = PlaneLoss(origin, directions, hidden, x, labels)
        values = plane.at(np.concatenate([grid, at_checkpoints]), ticks)
        grids[which], on_plane[which] = values[:len(grid)].reshape(len(b), len(a)), values[len(grid):]
        for key, (start, end) in lines.items():
            line = np.zeros((LINE_POINTS, 2))
            line[:, 0] = t
            along.setdefault(key, {})[which] = PlaneLoss(start, [end - start, np.zeros_like(end)], hidden, x,
                                                          labels).at(line, ticks).tolist()
        weights = [w for kept in paths.values() for _, w in kept]
        own[which] = np.concatenate([_own_losses(weights[i:i + BATCH_CHECKPOINTS], hidden, x, labels, ticks,
                                                 whole) for i in range(0, len(weights), BATCH_CHECKPOINTS)])

    path_points, row = {}, 0
    for name, kept in paths.items():
        path_points[name] = []
        for (position, _), (coordinates, residual) in zip(kept, projected[name]):
            path_points[name].append({
                "epoch": int(position) if position == int(position) else float(position),
                "a": float(coordinates[0]), "b": float(coordinates[1]), "residual": residual,
                "train_loss": float(own["train"][row]), "val_loss": float(own["val"][row]),
                "plane_train_loss": float(on_plane["train"][row]), "plane_val_loss": float(on_plane["val"][row]),
            })
            row += 1
    return Landscape(
        plane=settings.plane, through=list(through),
        origin=through[0] if settings.plane == "random" else "first weights",
        axes={"a": a.tolist(), "b": b.tolist()}, train_loss=grids["train"], val_loss=grids["val"],
        paths=path_points, explained=_explained(paths, origin, directions),
        lines={"t": t.tolist(),
               "from_start": {name: along[name] for name in race.optimizers if name in along},
               "between": {"optimizers": list(through), **along[tuple(through)]} if len(through) == 2 else None},
        images={which: len(labels) for which, (_, labels) in sets.items()},
        seconds=time.perf_counter() - began, race=race.to_dict(),
    )


def _window(settings, projected) -> tuple:
    """The grid's a and b: the box around every projected checkpoint, with :data:`MARGIN` around
    it (``random``: at least ±:data:`RANDOM_REACH` around its centre)."""
    points = np.array([coordinates for kept in projected.values() for coordinates, _ in kept])
    low, high = points.min(axis=0), points.max(axis=0)
    if settings.plane == "random":
        low, high = np.minimum(low, -RANDOM_REACH), np.maximum(high, RANDOM_REACH)
    else:
        room = MARGIN * max(high - low)
        low, high = low - room, high + room
    return tuple(np.linspace(low[axis], high[axis], settings.grid) for axis in (0, 1))


def _own_losses(weights, hidden, x, labels, tick, cost) -> np.ndarray:
    """The checkpoints' own losses, each the network with exactly those weights."""
    losses, _ = MLP.of(np.stack(weights), hidden).evaluate(x, labels, chunk=CHUNK_IMAGES)
    tick(len(weights) * cost)
    return losses


def _explained(paths, origin, directions) -> dict:
    """The share of the paths' squared distances from the plane's origin that lies in the plane:
    of all paths together (``all``) and of each (``paths``)."""
    basis = _orthonormal(*directions, "the plane")
    origin = origin.astype(np.float64)
    inside, total = {}, {}
    for name, kept in paths.items():
        offsets = [weights.astype(np.float64) - origin for _, weights in kept]
        inside[name] = sum(float(np.sum((basis @ offset) ** 2)) for offset in offsets)
        total[name] = sum(float(offset @ offset) for offset in offsets)
    share = {name: inside[name] / total[name] if total[name] else 1.0 for name in paths}
    everything = sum(total.values())
    return {"all": sum(inside.values()) / everything if everything else 1.0, "paths": share}


# ---------------------------------------------------------------------------------------------
# In words.


def explain(landscape: Landscape) -> str:
    """What the plane shows and what it hides, in two sentences, with this landscape's numbers."""
    title = {name: OPTIMIZERS[name].title for name in landscape.through}
    captured = landscape.explained["all"]
    if landscape.plane == "endpoints":
        first, second = (title[name] for name in landscape.through)
        return (f"The plane through the common first weights and the final weights of {first} and {second}: "
                "those three points lie exactly on it, at their true distances, so the map shows where the "
                "two solutions sit from the start and from each other, and what lies between them. It hides every "
                f"direction the paths took out of it ({1 - captured:.0%} of their movement): the points between "
                "are drawn where they project, and each one's distance from the plane is in its hover text.")
    if landscape.plane == "pca":
        worst = min(landscape.explained["paths"].items(), key=lambda item: item[1])
        return (f"The two directions in which all optimizers' checkpoints, measured from the common first weights, "
                f"spread the most: one plane shared by every path, which holds {captured:.0%} of their movement, so "
                "the paths compare on one map. It hides the rest: a checkpoint off the plane is drawn where it "
                "projects and the loss under it is not its own "
                f"(the plane holds {worst[1]:.0%} of {OPTIMIZERS[worst[0]].title}'s movement, the least).")
    centre = title[landscape.through[0]]
    return (f"Two random directions around {centre}'s final weights, each scaled neuron by neuron to that neuron's "
            "weights (Li et al.'s filter normalization), so a step of 1 changes every layer by its own size: the "
            "map shows how wide or sharp the minimum is. Random directions miss the directions training moved "
            f"along ({captured:.1%} of the paths' movement lies in this plane), so the paths shrink to near the "
            "centre and the first weights lie far off the plane.")


def axis_titles(landscape: Landscape) -> tuple:
    """The a and b axes, in words."""
    if landscape.plane == "endpoints":
        first, second = (OPTIMIZERS[name].title for name in landscape.through)
        return (f"a: towards {first}'s solution (distance in weight space)",
                f"b: towards {second}'s, at right angles")
    if landscape.plane == "pca":
        return ("a: first principal direction (distance in weight space)", "b: second principal direction")
    return ("a: random direction 1 (filter-normalized)", "b: random direction 2")
