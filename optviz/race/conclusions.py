"""What a training race shows: its standings, and the five conclusions the article draws from
its figure 16, each checked on the results of the race the user sees (``run_race``'s dict,
possibly partial: the checks use the epochs finished so far).

Each conclusion is a precise, testable statement with its evidence; one that does not hold in a
run is reported as not holding, and one a run cannot decide (an optimizer it speaks of missing,
no epoch yet) as undecided, with the reason. A claim about "the later optimizers" or "all the
others" speaks of all of the article's eight, so it needs all of them in the race; optimizers
beyond the article's do not change it.
"""

import math
from dataclasses import dataclass

from optviz.optimizers import OPTIMIZERS

#: The optimizers of the article's figure 16, of which its conclusions speak.
ARTICLE_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamax", "nadam")
#: The Adam family, as the article groups it ("the Adam variants").
ADAM_VARIANTS = ("adam", "adamax", "nadam")
#: Conclusion 4: AdaGrad "barely updates" if its training loss falls, over the second half of the
#: epochs, by less than this share of what it fell in its first epoch.
STALL_SHARE = 0.1
#: Conclusion 5: Adam is "a good default" if it ends within this much validation accuracy of the best.
DEFAULT_MARGIN = 0.01
#: The loss of a uniform guess over the 10 classes: where every run starts, near enough.
CHANCE_LOSS = math.log(10)


def final_val_accuracy(result: dict) -> float:
    """A run's last validation accuracy; one that diverged or has no epoch yet ranks last (-inf)."""
    if result.diverged_at is not None or not result.val_accuracy:
        return -math.inf
    return result.val_accuracy[-1]


def standings(results: dict) -> list[dict]:
    """One row per optimizer, best final validation accuracy first, diverged runs last."""
    rows = []
    for name in sorted(results, key=lambda n: final_val_accuracy(results[n]), reverse=True):
        result = results[name]
        last = {metric: values[-1] if (values := getattr(result, metric)) else None
                for metric in ("val_accuracy", "val_loss", "accuracy", "loss")}
        seconds = result.epoch_seconds
        rows.append({"optimizer": OPTIMIZERS[name].title, "validation accuracy": last["val_accuracy"],
                     "validation loss": last["val_loss"], "training accuracy": last["accuracy"],
                     "training loss": last["loss"], "epochs": result.epochs,
                     "seconds per epoch": sum(seconds) / len(seconds) if seconds else None,
                     "diverged at step": result.diverged_at})
    return rows


@dataclass(frozen=True)
class Conclusion:
    """One of the article's conclusions from figure 16, checked on one run's results."""

    claim: str  # what the article says
    test: str  # what is checked, precisely
    holds: bool | None  # None: this run cannot tell, and ``evidence`` says why
    evidence: str


class _CannotTell(Exception):
    pass


def conclusions(results: dict) -> list[Conclusion]:
    """The five conclusions the article draws from figure 16, each checked on ``results``.

    ``results`` is run_race's dict, possibly partial: the checks use the epochs finished so far.
    """
    checked = []
    for claim, test, check in _CONCLUSIONS:
        try:
            holds, evidence = check(results)
        except _CannotTell as reason:
            holds, evidence = None, str(reason)
        checked.append(Conclusion(claim, test, holds, evidence))
    return checked


def _need(results, *names):
    missing = [_title(name) for name in names if name not in results]
    if missing:
        listed = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
        raise _CannotTell(f"Needs {listed} in the race.")


def _epochs(results) -> int:
    """The most epochs any run has finished; a check needs one."""
    epochs = max((len(result.loss) for result in results.values()), default=0)
    if epochs == 0:
        raise _CannotTell("No epoch has finished yet.")
    return epochs


def _losses(result, epochs) -> list:
    """The training loss after each epoch, infinite from a divergence on."""
    return result.loss + [math.inf] * (epochs - len(result.loss))


def _title(name) -> str:
    return OPTIMIZERS[name].title


def _number(value) -> str:
    return f"{value:.4f}" if math.isfinite(value) else "diverged"


def _faster_than_sgd(results):
    _need(results, *ARTICLE_OPTIMIZERS)
    others = [name for name in ARTICLE_OPTIMIZERS if name != "sgd"]
    epochs = _epochs(results)
    sgd = _losses(results["sgd"], epochs)
    for name in others:
        for epoch, (mine, theirs) in enumerate(zip(_losses(results[name], epochs), sgd), start=1):
            if not mine < theirs:
                return False, (f"After epoch {epoch}, {_title(name)}'s training loss ({_number(mine)}) is not below "
                               f"{_title('sgd')}'s ({_number(theirs)}).")
    closest = max(others, key=lambda name: _losses(results[name], epochs)[-1])
    return True, (f"After each of the {epochs} epochs, all {len(others)} others have a lower training loss than "
                  f"{_title('sgd')}; after the last, {_title('sgd')} {_number(sgd[-1])}, the closest "
                  f"({_title(closest)}) {_number(_losses(results[closest], epochs)[-1])}.")


def _adam_variants_best(results):
    _need(results, *ARTICLE_OPTIMIZERS)
    others = [name for name in ARTICLE_OPTIMIZERS if name not in ADAM_VARIANTS]
    _epochs(results)
    worst = min(ADAM_VARIANTS, key=lambda name: final_val_accuracy(results[name]))
    best = max(others, key=lambda name: final_val_accuracy(results[name]))
    worst_value, best_value = final_val_accuracy(results[worst]), final_val_accuracy(results[best])
    return worst_value > best_value, (f"Final validation accuracy of the weakest Adam variant, {_title(worst)}: "
                                      f"{_number(worst_value)}; of the best other, {_title(best)}: "
                                      f"{_number(best_value)}.")


def _nesterov_beats_rmsprop(results):
    _need(results, "nesterov", "rmsprop")
    _epochs(results)
    nesterov, rmsprop = (final_val_accuracy(results[name]) for name in ("nesterov", "rmsprop"))
    return nesterov > rmsprop, (f"Final validation accuracy: {_title('nesterov')} {_number(nesterov)}, "
                                f"{_title('rmsprop')} {_number(rmsprop)}.")


def _adagrad_stalls(results):
    _need(results, "adagrad")
    result = results["adagrad"]
    if result.diverged_at is not None:
        return False, f"{_title('adagrad')} diverged at step {result.diverged_at}."
    loss = result.loss
    if len(loss) < 2:
        raise _CannotTell("Needs at least 2 finished epochs.")
    half = len(loss) // 2
    first, late = CHANCE_LOSS - loss[0], loss[half - 1] - loss[-1]
    if first <= 0:
        return False, (f"{_title('adagrad')}'s training loss in epoch 1 ({_number(loss[0])}) is no better than a "
                       "uniform guess.")
    return late < STALL_SHARE * first, (
        f"{_title('adagrad')}'s training loss fell by {_number(first)} in epoch 1 (from {_number(CHANCE_LOSS)}, a "
        f"uniform guess), then by {_number(late)} from epoch {half} to epoch {len(loss)}: {late / first:.0%} of that.")


def _adam_good_default(results):
    _need(results, "adam")
    if len(results) < 2:
        raise _CannotTell(f"Needs at least one optimizer besides {_title('adam')}.")
    _epochs(results)
    best = max(results, key=lambda name: final_val_accuracy(results[name]))
    adam, top = final_val_accuracy(results["adam"]), final_val_accuracy(results[best])
    behind = f"{(top - adam) * 100:.1f} points behind" if math.isfinite(adam) else f"{_title('adam')} diverged"
    return top - adam <= DEFAULT_MARGIN, (f"Final validation accuracy: {_title('adam')} {_number(adam)}, the best "
                                          f"({_title(best)}) {_number(top)}: {behind}.")


_CONCLUSIONS = (
    ("The later optimizers converge faster than SGD, reaching the minimum within a few epochs.",
     f"Each of the article's seven other optimizers has a training loss below {_title('sgd')}'s (the article's "
     "SGD) after every epoch.",
     _faster_than_sgd),
    ("The Adam variants beat all the others and reach the minimum in fewer epochs.",
     f"Each of {', '.join(map(_title, ADAM_VARIANTS))} ends with a higher validation accuracy than each of the "
     "article's five other optimizers.",
     _adam_variants_best),
    ("Here Nesterov does better than RMSProp.",
     f"{_title('nesterov')} ends with a higher validation accuracy than {_title('rmsprop')}.",
     _nesterov_beats_rmsprop),
    ("AdaGrad reaches its minimum early and barely updates after that.",
     f"Over the second half of the epochs {_title('adagrad')}'s training loss falls by less than "
     f"{STALL_SHARE:.0%} of what it fell in the first epoch (from ln 10, a uniform guess).", _adagrad_stalls),
    ("So in most cases Adam is an easy default choice.",
     f"{_title('adam')} ends within {DEFAULT_MARGIN * 100:g} point of validation accuracy of the best optimizer.",
     _adam_good_default),
)
