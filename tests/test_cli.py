"""python -m optviz trace: the summary, the JSON, and errors."""

import json

import pytest

from optviz.cli import main


def test_trace_prints_the_final_point_the_loss_and_the_nearest_minimum(capsys):
    assert main(["trace", "multi_minima", "sgd", "--lr", "0.01", "--steps", "300"]) == 0
    out = capsys.readouterr().out
    assert "GD on Two valleys, keras convention (lr=0.01)" in out
    assert "after 300" in out and "nearest      local minimum (1.347, 0)" in out


def test_trace_reports_divergence(capsys):
    assert main(["trace", "beale", "nesterov", "--lr", "0.01", "--start", "1", "1.5", "--steps", "30"]) == 0
    assert "diverged     at step 10" in capsys.readouterr().out


def test_trace_json_holds_the_whole_path(capsys):
    assert main(["trace", "rosenbrock", "adam", "--lr", "0.001", "--steps", "300", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["path"]) == 301 and len(data["loss"]) == 301 and data["diverged_at"] is None
    assert data["path"][300] == pytest.approx([-1.0645130044394426, 1.1325075357957477], abs=1e-12)
    assert data["hyper"] == {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7}


def test_torch_convention_and_extra_hyper_parameters(capsys):
    assert main(["trace", "bowl", "nadam", "--convention", "torch", "--momentum-decay", "1", "--steps", "5"]) == 0
    assert "momentum_decay=1" in capsys.readouterr().out


def test_bad_values_exit_with_a_clear_message(capsys):
    assert main(["trace", "bowl", "adam", "--beta2", "1.5"]) == 2
    assert "beta2=1.5 is outside its allowed range [0, 1)" in capsys.readouterr().err
    assert main(["trace", "bowl", "sgd", "--rho", "0.9"]) == 2
    assert "sgd takes no hyper-parameter rho" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["trace", "bowel", "adam"])
