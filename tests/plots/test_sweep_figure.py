"""The sweep's figure: what each trace draws, from points made by the sweep's own bookkeeping."""

import math

from optviz.plots import sweep_curves
from optviz.race import sweep

CONFIG = sweep.SweepConfig(optimizers=("sgd", "adam"), lrs=(0.001, 0.01, 0.1), seeds=(0, 1), epochs=1,
                           data="embedded")


def result(optimizer, lr, seed, final, diverged=False):
    """A stored run as the client writes it, ending at validation accuracy ``final``."""
    return {"optimizer": optimizer, "lr": lr, "seed": seed, "loss": [1.0], "accuracy": [0.5], "val_loss": [1.0],
            "val_accuracy": [final], "epoch_seconds": [0.1], "diverged_at": 7 if diverged else None}


RESULTS = [result("sgd", 0.001, 0, 0.40), result("sgd", 0.001, 1, 0.44), result("sgd", 0.01, 0, 0.70),
           result("sgd", 0.01, 1, 0.74), result("sgd", 0.1, 0, 0.80), result("sgd", 0.1, 1, 0.86),
           result("adam", 0.001, 0, 0.85), result("adam", 0.001, 1, 0.83), result("adam", 0.01, 0, 0.60),
           result("adam", 0.1, 0, math.nan, diverged=True), result("adam", 0.1, 1, 0.10)]


def traces(figure) -> dict:
    return {trace.name: trace for trace in figure.data}


def test_lines_bands_crosses_and_best_alpha_follow_the_points():
    rows, best = sweep.points(CONFIG, RESULTS), sweep.best(CONFIG, RESULTS)
    assert best["sgd"].lr == 0.1 and best["adam"].lr == 0.001
    drawn = traces(sweep_curves(rows, best=best, article_lr=sweep.ARTICLE_LR))
    assert list(drawn["GD"].x) == [0.001, 0.01, 0.1]
    assert [round(y, 6) for y in drawn["GD"].y] == [0.42, 0.72, 0.83]
    # Adam: 0.01 has one seed so far (no band), 0.1 diverged in one seed (a cross, no line point)
    assert list(drawn["Adam"].x) == [0.001, 0.01]
    band = drawn["Adam, the seeds' range"]
    assert list(band.x) == [0.001, 0.001] and list(band.y) == [0.85, 0.83]
    assert list(drawn["GD, the seeds' range"].y) == [0.44, 0.74, 0.86, 0.80, 0.70, 0.40]
    cross = drawn["Adam, diverged"]
    assert list(cross.x) == [0.1] and cross.text == ("1 of 2 seeds",)
    assert "GD, diverged" not in drawn and "diverged (at least one seed)" in drawn
    assert list(drawn["GD: best α"].x) == [0.1] and drawn["GD: best α"].text == ("α = 0.1",)
    assert list(drawn["Adam: best α"].x) == [0.001]


def test_the_articles_alpha_is_marked_and_the_axis_keeps_every_seed_in_view():
    rows, best = sweep.points(CONFIG, RESULTS), sweep.best(CONFIG, RESULTS)
    layout = sweep_curves(rows, best=best, article_lr=0.001).layout
    assert layout.xaxis.type == "log" and layout.shapes[0].x0 == 0.001
    assert "0.001" in layout.annotations[0].text
    low, high = layout.yaxis.range
    assert low < 0.40 and high > 0.86 and high <= 1.0 + 0.1


def test_nothing_finished_draws_an_empty_figure_not_an_error():
    rows = sweep.points(CONFIG, [])
    drawn = sweep_curves(rows, best=sweep.best(CONFIG, []))
    assert all(len(trace.x) == 0 for trace in drawn.data)
