"""Tests for optviz.plots.export: files a teacher takes away (PNG, SVG, HTML, CSV)."""

import csv
import io
import re
import struct

import pytest

from optviz import plots, trace
from optviz.plots import IMAGE_SCALE, SLIDE, export
from optviz.race.training import RunResult


@pytest.fixture(scope="module")
def runs():
    found = [trace("bowl", "sgd", steps=20, lr=0.1), trace("bowl", "sgd", steps=20, lr=1.3)]
    found.append(trace("bowl", "sgd", steps=2000, lr=1.3))
    assert found[2].diverged_at is not None
    return found


def test_html_is_standalone(runs):
    page = export.to_html(plots.race_animation(runs[:2], title="Fig. 3: bowl"))
    assert "<html>" in page and page.rstrip().endswith("</html>")
    assert re.search(r"plotly\.js v\d", page) and len(page) > 3_000_000  # plotly.js itself is inside
    assert not re.search(r"<script[^>]+src=", page)  # nothing fetched: it opens offline
    assert '"displaylogo": false' in page and '"format": "svg"' in page  # its camera gives an SVG, offline
    assert '"frames"' in page or "addFrames" in page  # the animation travels with it


def test_traces_csv_is_tidy(runs):
    rows = list(csv.DictReader(io.StringIO(export.traces_csv(runs))))
    assert list(rows[0]) == ["run", "optimizer", "step", "x", "y", "loss"]
    labels = plots.labels(runs)
    assert len(rows) == 21 + 21 + runs[2].diverged_at  # a diverged run stops at its last finite point
    first = [r for r in rows if r["run"] == labels[0]]
    assert [int(r["step"]) for r in first] == list(range(21))
    assert float(first[5]["x"]) == runs[0].path[5, 0] and float(first[5]["loss"]) == runs[0].loss[5]
    assert {r["optimizer"] for r in rows} == {"sgd"}


def test_race_csv_is_tidy():
    results = {"adam": RunResult(**{"loss": [0.6, 0.5], "accuracy": [0.8, 0.82], "val_loss": [0.55], "val_accuracy": [0.81],
                        "epoch_seconds": [3.0, 3.1], "diverged_at": None, "smoothed": [[0.5, 0.7], [1.5, 0.55]]})}
    rows = list(csv.DictReader(io.StringIO(export.race_csv(results))))
    assert list(rows[0]) == ["optimizer", "epoch", "metric", "value"]
    assert len(rows) == 2 + 2 + 1 + 1 + 2 + 2
    assert {"optimizer": "adam", "epoch": "2", "metric": "loss", "value": "0.5"} in rows
    assert {"optimizer": "adam", "epoch": "1.5", "metric": "smoothed_loss", "value": "0.55"} in rows


def test_file_names_come_from_the_title(runs):
    fig = plots.contour(runs[:1], title="Fig. 2: GD descends a convex bowl")
    assert export.filename(fig, "svg") == "fig-2-gd-descends-a-convex-bowl.svg"


def test_no_chromium_is_reported_not_crashed(monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-browser"))
    assert export.find_browser() is None
    problem = export.static_export_problem()
    assert "no Chromium" in problem and "camera button" in problem
    with pytest.raises(export.StaticExportUnavailable, match="no Chromium"):
        export._server.__wrapped__()  # the uncached start, so a server already running elsewhere doesn't matter


def png_size(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.skipif(export.static_export_problem() is not None,
                    reason=f"static export unavailable: {export.static_export_problem()}")
def test_png_and_svg_through_chromium(runs):
    fig = plots.contour(runs, title="Fig. 3: too large a step")
    assert png_size(export.to_png(fig)) == (SLIDE[0] * IMAGE_SCALE, SLIDE[1] * IMAGE_SCALE)
    fig.update_layout(width=800, height=500)
    assert png_size(export.to_png(fig)) == (800 * IMAGE_SCALE, 500 * IMAGE_SCALE)
    svg = export.to_svg(fig).decode()
    assert svg.lstrip().startswith("<svg") and "Fig. 3: too large a step" in svg
