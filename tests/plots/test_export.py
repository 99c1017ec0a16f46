"""Tests for optviz.plots.export: files a teacher takes away (PNG, SVG, GIF, MP4, HTML, CSV)."""

import csv
import io
import re
import struct
import tempfile

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

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


# --- animations: a still of the last frame, GIF and MP4 ----------------------------------------------

chromium = pytest.mark.skipif(export.static_export_problem() is not None,
                              reason=f"static export unavailable: {export.static_export_problem()}")


@pytest.fixture(scope="module")
def race():
    """Two runs that end apart, each ball in the open (no divergence: its marker would be off the map)."""
    runs = [trace("bowl", "sgd", steps=40, lr=0.02), trace("bowl", "momentum", start=(1.5, 1.5), steps=40, lr=0.005)]
    return runs, plots.race_animation(runs, frames=20)


def _balls(spec) -> list:
    """Where each run's ball is (its one-point marker trace), by legend group."""
    return sorted((t["legendgroup"], float(np.ravel(_values(t["x"]))[0]), float(np.ravel(_values(t["y"]))[0]))
                  for t in spec["data"] if t.get("name") == "ball")


def _places(runs, step) -> list:
    return sorted((label, *map(float, run.path[step])) for label, run in zip(plots.labels(runs), runs))


def _near(balls, places) -> bool:
    """The same runs at the same places, to the animation's rounding (a millionth of the window)."""
    return [b[0] for b in balls] == [p[0] for p in places] and np.allclose([b[1:] for b in balls],
                                                                          [p[1:] for p in places], atol=1e-5)


def _values(array):
    return export._decoded(array) if isinstance(array, dict) else np.asarray(array, dtype=float)


def test_an_animation_is_exported_still_at_its_last_frame_without_buttons_or_slider(race):
    runs, fig = race
    still = export.still(fig)
    spec = still.to_plotly_json()
    assert not still.frames and not spec["layout"].get("updatemenus") and not spec["layout"].get("sliders")
    assert _near(_balls(spec), _places(runs, -1)) and not _near(_balls(fig.to_plotly_json()), _places(runs, -1))
    assert _near(_balls(export.still(fig, 0).to_plotly_json()), _places(runs, 0))
    assert export.still(still) is still  # a figure without frames is already still
    assert len(fig.frames) == 20 and fig.layout.updatemenus  # the animation itself is untouched


def test_animation_formats_are_named():
    with pytest.raises(ValueError, match="gif or mp4"):
        export.animation_export_problem("avi")


def test_no_chromium_says_why_gif_and_mp4_are_unavailable(monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-browser"))
    for format in ("gif", "mp4"):
        assert "no Chromium" in export.animation_export_problem(format)


@chromium
def test_an_animations_png_and_svg_are_its_last_frame(race):
    _, fig = race
    assert export.to_png(fig, scale=1) == export.to_png(export.still(fig), scale=1)
    svg = export.to_svg(fig).decode()
    assert "Play" not in svg and "Pause" not in svg and "step " not in svg


def _ball_centre(image, colour) -> np.ndarray:
    """The centre of the one disc of ``colour`` in the image: its colour's pixels whose whole 7 × 7
    neighbourhood has it too (a 3 px path does not), averaged."""
    pixels = np.asarray(image.convert("RGB"), dtype=int)
    near = np.abs(pixels - np.array(colour)).max(axis=2) < 24
    core = near.copy()
    for dy in range(-3, 4):
        for dx in range(-3, 4):
            core &= np.roll(np.roll(near, dy, axis=0), dx, axis=1)
    ys, xs = np.nonzero(core)
    assert len(xs), "no ball found"
    return np.array([xs.mean(), ys.mean()])


@chromium
@pytest.mark.slow
def test_a_drawn_frame_matches_chromiums_render_of_it(race):
    runs, fig = race
    movie = export.Movie(fig)
    assert movie.fast, movie.slow_because
    for index in (7, 19):
        drawn = movie.frame(index)
        rendered = Image.open(io.BytesIO(export.to_png(export.still(fig, index), scale=1))).convert("RGB")
        assert drawn.size == rendered.size == SLIDE
        for run in runs:
            colour = tuple(int(plots.color(run.optimizer)[i:i + 2], 16) for i in (1, 3, 5))
            shift = _ball_centre(drawn, colour) - _ball_centre(rendered, colour)
            assert np.hypot(*shift) < 1.5, f"frame {index}: {run.optimizer}'s ball is {shift} px off"
        difference = np.abs(np.asarray(drawn, dtype=int) - np.asarray(rendered, dtype=int)).max(axis=2)
        # Anti-aliased edges differ a little, and the drawn frame says its step; all else is where it was.
        assert np.mean(difference > 64) < 0.001, f"frame {index}: {np.mean(difference > 64):.4f} of the pixels differ"


@chromium
def test_frames_that_restate_the_surface_are_still_drawn_fast(race):
    """An animation may repeat its surface in every frame (so the browser keeps it): that is not a move."""
    _, fig = race
    spec = fig.to_plotly_json()
    surface = next(i for i, t in enumerate(spec["data"]) if t.get("name") == "surface")  # its level lines
    for frame in spec["frames"]:
        frame["traces"] = [surface, *frame["traces"]]
        frame["data"] = [spec["data"][surface], *frame["data"]]
    movie = export.Movie(go.Figure(spec))
    assert movie.fast and surface not in movie.drawn, movie.slow_because
    spec["frames"][3]["data"][0] = {**spec["data"][surface], "line": {"color": "#000000", "width": 2}}
    changed = export.Movie(go.Figure(spec))  # a surface that changes does move
    assert not changed.fast or surface in changed.drawn


@chromium
@pytest.mark.slow
def test_gif_and_mp4_hold_every_frame_at_slide_size(race):
    _, fig = race
    gif = Image.open(io.BytesIO(export.to_gif(fig)))
    assert gif.format == "GIF" and gif.size == SLIDE and gif.n_frames == len(fig.frames)
    assert gif.info["loop"] == 0 and gif.info["duration"] == 60  # the Play button's pace
    if export.animation_export_problem("mp4"):
        pytest.skip(export.animation_export_problem("mp4"))
    import imageio_ffmpeg

    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/race.mp4"
        with open(path, "wb") as file:
            file.write(export.to_mp4(fig))
        reader = imageio_ffmpeg.read_frames(path)
        meta = next(reader)
        assert meta["size"] == (1920, 1080) and meta["codec"] == "h264"
        assert sum(1 for _ in reader) == len(fig.frames)
