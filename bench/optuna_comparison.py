#!/usr/bin/python3
"""runner's TPE + Hyperband sweep against Optuna 3.1's TPESampler + HyperbandPruner, on the same
search space over the reference model, the same data slice and the same total epoch budget.

The space (72 settings): both conv layers' filters, the dense layer's units, the dropout rate
and the learning rate, as lists of values, so a grid can run it whole. The data: 6,000 images
(4,800 training, 1,200 validation), 6 epochs, no callbacks; the test split is cut to 1,000.

1. The grid: runner runs all 72 settings (432 epochs); its best val_loss is the target.
2. For each seed: runner's own sweep (method tpe, pruner hyperband, max_epochs_total = 40% of
   the grid's epochs, concurrency 1), and Optuna's ask/tell loop with TPESampler(seed) and
   HyperbandPruner(min_resource=1, max_resource=6, reduction_factor=3), reporting val_loss after
   every epoch and stopping at the same budget.

Optuna's trials are runner trials: by default each is replayed from the grid's history of the
same settings (runner's training is deterministic for a configuration: the grid's trial and any
later run of the same settings have identical histories, which the script checks on runner's own
sweep trials), so Optuna's side costs no training; --live trains each Optuna trial with the
runner executable instead, stopping it with SIGTERM when Optuna prunes it.

"Best" is the lowest best-epoch val_loss of a completed trial (Optuna's study.best_value);
"epochs" counts trained epochs, pruned trials included.

Needs Debian's python3-optuna (scripts/setup --bench).
Run: /usr/bin/python3 bench/optuna_comparison.py [--seeds 5] [--live] [--runner build/release/runner]
"""
import argparse
import csv
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import optuna

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BASE = os.path.join(ROOT, "experiments", "cnn.yaml")
EPOCHS = 6
SET = ["data.limit=6000", "data.test_limit=1000", f"fit.epochs={EPOCHS}", "callbacks=[]"]
SPACE = {
    "model.layers.conv2d.filters": ["16", "32", "64"],
    "model.layers.conv2d_1.filters": ["32", "64"],
    "model.layers.dense.units": ["64", "128"],
    "model.layers.dropout.rate": ["0.2", "0.4"],
    "compile.optimizer.learning_rate": ["0.0003", "0.001", "0.003"],
}
BUDGET_SHARE = 0.4


def sweep_file(folder, name, method, extra):
    lines = [
        "sweep:",
        f"  name: {name}",
        f"  base: {BASE}",
        f"  method: {method}",
        "  metric: val_loss",
        "  goal: minimize",
        "  set: [" + ", ".join(f"'{s}'" for s in SET + [f"results_dir={folder}"]) + "]",
    ] + [f"  {line}" for line in extra] + ["  parameters:"]
    for path, values in SPACE.items():
        lines.append(f"    {path}: [{', '.join(values)}]")
    path = os.path.join(folder, f"{name}.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def run_sweep(runner, path):
    started = time.time()
    done = subprocess.run([runner, path, "--quiet"], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{path}: runner failed ({done.returncode}):\n{done.stderr}")
    return time.time() - started


def read_summary(folder):
    with open(os.path.join(folder, "summary.csv")) as f:
        return list(csv.DictReader(f))


def val_losses(trial_folder):
    with open(os.path.join(trial_folder, "history.csv")) as f:
        return [float(r["val_loss"]) for r in csv.DictReader(f)]


def key_of(row):
    return tuple(row[p] for p in SPACE)


def grid(runner, folder):
    path = sweep_file(folder, "grid", "grid", ["concurrency: 2"])
    seconds = run_sweep(runner, path)
    rows = read_summary(os.path.join(folder, "grid"))
    curves = {key_of(r): val_losses(os.path.join(folder, "grid", r["folder"])) for r in rows}
    assert len(curves) == 72 and all(len(c) == EPOCHS for c in curves.values()), "grid incomplete"
    best = min(min(c) for c in curves.values())
    return curves, best, seconds


def runner_search(runner, folder, seed, budget, curves, target):
    name = f"tpe-seed{seed}"
    path = sweep_file(folder, name, "tpe", [
        "pruner: {type: hyperband, min_resource: 1, reduction_factor: 3}",
        f"max_epochs_total: {budget}", f"seed: {seed}", "concurrency: 1"])
    seconds = run_sweep(runner, path)
    rows = sorted(read_summary(os.path.join(folder, name)), key=lambda r: int(r["number"]))
    spent, best, reached, trained, pruned = 0, math.inf, None, set(), 0
    for r in rows:
        curve = val_losses(os.path.join(folder, name, r["folder"]))
        # Determinism: the trial's epochs are the grid's epochs of the same settings.
        if curve != curves[key_of(r)][:len(curve)]:
            sys.exit(f"{r['folder']}: history differs from the grid's for the same settings")
        # A proposal that repeats earlier settings takes that trial's numbers without training.
        if r["folder"] not in trained:
            trained.add(r["folder"])
            spent += len(curve)
            pruned += r["status"] == "pruned"
        if r["status"] == "completed":
            best = min(best, min(curve))
            if reached is None and best <= target:
                reached = spent
    return {"best": best, "epochs": spent, "trials": len(trained), "reached": reached,
            "pruned": pruned, "seconds": seconds}


def live_curve(runner, folder, params, trial):
    """Trains one Optuna trial with runner, reporting each epoch; SIGTERM when pruned."""
    results = tempfile.mkdtemp(dir=folder)
    args = [runner, BASE, "--quiet"] + sum((["--set", s] for s in SET), [])
    args += ["--set", f"results_dir={results}"] + sum((["--set", f"{p}={v}"] for p, v in params.items()), [])
    process = subprocess.Popen(args)
    seen = []
    while True:
        runs = [os.path.join(dp, f) for dp, _, fs in os.walk(results) for f in fs if f == "history.csv"]
        if runs:
            try:
                seen_now = val_losses(os.path.dirname(runs[0]))
            except (KeyError, ValueError):
                seen_now = seen
            for epoch in range(len(seen) + 1, len(seen_now) + 1):
                trial.report(seen_now[epoch - 1], epoch)
                seen.append(seen_now[epoch - 1])
                if trial.should_prune():
                    process.send_signal(signal.SIGTERM)
                    process.wait()
                    return seen, True
        if process.poll() is not None and (not runs or len(seen) == EPOCHS):
            return seen, False
        time.sleep(0.05)


def optuna_search(seed, budget, curves, target, live=None):
    sampler = optuna.samplers.TPESampler(seed=seed)
    pruner = optuna.pruners.HyperbandPruner(min_resource=1, max_resource=EPOCHS, reduction_factor=3)
    study = optuna.create_study(direction="minimize", sampler=sampler, pruner=pruner,
                                study_name=f"optuna-seed{seed}")
    spent, best, reached, pruned, trials = 0, math.inf, None, 0, 0
    while spent < budget:
        trial = study.ask()
        params = {p: trial.suggest_categorical(p, values) for p, values in SPACE.items()}
        trials += 1
        if live:
            curve, was_pruned = live_curve(live[0], live[1], params, trial)
            spent += len(curve)
        else:
            curve, was_pruned = [], False
            for epoch, value in enumerate(curves[tuple(params[p] for p in SPACE)], start=1):
                curve.append(value)
                spent += 1
                trial.report(value, epoch)
                if trial.should_prune():
                    was_pruned = True
                    break
        if was_pruned:
            pruned += 1
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            continue
        study.tell(trial, min(curve))
        best = min(best, min(curve))
        if reached is None and best <= target:
            reached = spent
    return {"best": best, "epochs": spent, "trials": trials, "reached": reached, "pruned": pruned}


def spread(values):
    values = sorted(values)
    return statistics.median(values), values[0], values[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--runner", default=os.path.join(ROOT, "build", "release", "runner"))
    parser.add_argument("--folder", default=os.path.join(ROOT, "results", "optuna-comparison"))
    parser.add_argument("--live", action="store_true", help="train Optuna's trials with runner")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    os.makedirs(args.folder, exist_ok=True)
    print(f"Optuna {optuna.__version__}; runner {args.runner}")

    curves, target, grid_seconds = grid(args.runner, args.folder)
    grid_epochs = 72 * EPOCHS
    budget = int(BUDGET_SHARE * grid_epochs)
    print(f"grid: 72 trials, {grid_epochs} epochs, best val_loss {target:.4f} ({grid_seconds:.0f} s)")
    print(f"budget for each search: {budget} epochs ({BUDGET_SHARE:.0%} of the grid's)\n")

    print("seed  method  best val_loss  epochs  trials  pruned  grid's best reached at")
    ours, theirs = [], []
    for seed in range(args.seeds):
        r = runner_search(args.runner, args.folder, seed, budget, curves, target)
        o = optuna_search(seed, budget, curves, target,
                          live=(args.runner, args.folder) if args.live else None)
        ours.append(r)
        theirs.append(o)
        for name, x in (("runner", r), ("optuna", o)):
            at = f"epoch {x['reached']}" if x["reached"] is not None else "not reached"
            print(f"{seed:>4}  {name:<6}  {x['best']:>13.4f}  {x['epochs']:>6}  {x['trials']:>6}"
                  f"  {x['pruned']:>6}  {at}")
        sys.stdout.flush()
    print()
    for name, xs in (("runner", ours), ("optuna", theirs)):
        m, lo, hi = spread([x["best"] for x in xs])
        e = statistics.median(x["epochs"] for x in xs)
        reached = sum(x["reached"] is not None for x in xs)
        print(f"{name}: best val_loss median {m:.4f} (range {lo:.4f}-{hi:.4f}), median epochs "
              f"{e:.0f}, grid's best reached in {reached} of {len(xs)} seeds")
    runner_median = statistics.median(x["best"] for x in ours)
    optuna_median = statistics.median(x["best"] for x in theirs)
    print(f"\nrunner's median best {'<=' if runner_median <= optuna_median else '>'} Optuna's "
          f"median best ({runner_median:.4f} vs {optuna_median:.4f})")


if __name__ == "__main__":
    main()
