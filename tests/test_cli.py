"""python -m optviz trace and train: the summary, the JSON, where --json writes, and errors."""

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from optviz.cli import main

ROOT = Path(__file__).resolve().parents[1]


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


def strict_json(text: str):
    """Parse as a strict parser (JavaScript's JSON.parse) does: NaN and Infinity are not JSON."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_trace_json_of_a_diverged_run_is_strict_json(capsys):
    assert main(["trace", "beale", "momentum", "--lr", "0.01", "--start", "1", "1.5", "--steps", "30", "--json"]) == 0
    data = strict_json(capsys.readouterr().out)
    assert data["diverged_at"] == 11
    assert data["path"][11] == [None, None] and data["loss"][-1] is None
    assert all(value is not None for value in data["loss"][:10])


#: A race that takes a second: one optimizer, a 4-unit hidden layer, one epoch of the embedded subset.
QUICK = ["train", "--data", "embedded", "--optimizers", "sgd", "--epochs", "1", "--hidden", "4"]


def test_train_json_is_strict_json_also_when_a_run_diverges(tmp_path):
    out = tmp_path / "race.json"
    assert main([*QUICK, "--hidden", "300,100", "--optimizers", "sgd,adam", "--lr", "1000", "--json", str(out)]) == 0
    data = strict_json(out.read_text())
    assert data["results"]["sgd"]["diverged_at"] == 4
    assert data["data"]["source"].startswith("embedded subset")


def test_train_json_writes_through_a_symbolic_link_which_stays_a_link(tmp_path):
    target = tmp_path / "kept" / "race.json"
    target.parent.mkdir()
    target.write_text("the old curves")
    target.chmod(0o640)
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    assert main([*QUICK, "--json", str(link)]) == 0
    assert link.is_symlink() and link.readlink() == target
    assert strict_json(target.read_text())["config"]["optimizers"] == ["sgd"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the file keeps its permissions
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["kept", "latest.json", "race.json"]  # no temporary left


def test_train_json_into_a_fifo_writes_a_stream_and_leaves_the_fifo(tmp_path):
    fifo = tmp_path / "curves"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    assert main([*QUICK, "--json", str(fifo)]) == 0
    reader.join(30)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert strict_json(received[0])["results"]["sgd"]["loss"]


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_train_json_into_a_full_device_fails_and_leaves_the_device(tmp_path, capsys):
    full = tmp_path / "full"
    os.mknod(full, stat.S_IFCHR | 0o666, os.makedev(1, 7))  # what /dev/full is
    assert main([*QUICK, "--json", str(full)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert stat.S_ISCHR(full.lstat().st_mode) and full.lstat().st_rdev == os.makedev(1, 7)
    assert [p.name for p in tmp_path.iterdir()] == ["full"]


def test_train_json_refuses_a_directory_before_the_race(tmp_path, capsys):
    assert main([*QUICK, "--json", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "Is a directory" in err and "training" not in err


@pytest.mark.parametrize("damage, message", [
    (lambda d: None, "not found"),
    (lambda d: d.mkdir() or (d / "train-images-idx3-ubyte.gz").write_bytes(b"\x01\x02\x08\x03"),
     "missing train-labels-idx1-ubyte.gz"),
])
def test_train_on_a_directory_that_cannot_be_used_exits_2_without_training(tmp_path, capsys, damage, message):
    named, out = tmp_path / "fmnist", tmp_path / "race.json"
    damage(named)
    out.write_text("the old curves")
    assert main([*QUICK, "--data", str(named), "--json", str(out)]) == 2
    captured = capsys.readouterr()
    assert f"error: directory {named} cannot be used: {message}" in captured.err
    assert "embedded" not in captured.out and "training" not in captured.out
    assert out.read_text() == "the old curves"


def test_train_json_refuses_a_file_it_may_not_write_before_the_race(tmp_path, unprivileged):
    """Renaming over a read-only file would replace it although its owner may not write it."""
    kept = tmp_path / "kept.json"
    kept.write_text("the old curves")
    kept.chmod(0o444)
    done = subprocess.run([*unprivileged, sys.executable, "-m", "optviz", *QUICK, "--json", str(kept)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and f"error: cannot write {kept} (Permission denied)" in done.stderr
    assert "training" not in done.stdout
    assert kept.read_text() == "the old curves" and sorted(p.name for p in tmp_path.iterdir()) == ["kept.json"]
