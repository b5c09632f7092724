"""clear-sweep's ASHA side by side with Ray Tune's ASHAScheduler and Optuna's
SuccessiveHalvingPruner (issue 16), on one synthetic objective with a known optimum:
noop's learning curve (src/cluster/noop_runner.h), q(x, y) (1 - exp(-epochs / tau(x))),
best at x = 0.01, y = 0.7. Every searcher gets the same space (x log-uniform on
[1e-4, 1], y uniform on [0, 1]), the same budget of trials, the same rungs (1, 3, 9
epochs, eta 3), the same number of parallel workers, and trials whose epochs sleep the
same time, and the same trials: clear-sweep samples them (its seeded random sampler) and
the peers evaluate exactly those points in the same order (Ray's points_to_evaluate,
Optuna's enqueue_trial), so what differs is how each halves and what it costs to run.
Each runs once per seed.

Measured per searcher and seed: the best objective among trials trained to 9 epochs,
the wall time, the epochs trained in all (the resource), the best found against wall
time; and, from a run of zero-length trials, the overhead per trial.

usage: .venv/bin/python bench/search/compare_searchers.py [--seeds 5] [--trials 27]
       [--workers 2] [--epoch-seconds 0.05] [--out bench/search/results.json]
Needs ray[tune] and optuna (requirements/bench.txt) in the venv beside the pinned torch.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "build", "clear-sweep")
RUNGS = (1, 3, 9)
ETA = 3


def curve(x, y, epochs):
    """noop_learning_curve, as src/cluster/noop_runner.cpp computes it."""
    u = math.log10(max(x, 1e-12))
    q = 1 - 0.15 * (u + 2) ** 2 - 2 * (y - 0.7) ** 2
    tau = 1.5 * 10 ** (-(u + 2) / 4)
    return q * (1 - math.exp(-epochs / tau))


def best_over_time(events, start):
    """[(seconds since start, best so far)] over (finish time, value) events."""
    best, out = -math.inf, []
    for t, v in sorted(events):
        if v > best:
            best = v
            out.append((round(t - start, 3), round(v, 6)))
    return out


# ---- clear-sweep ----------------------------------------------------------------------

def run_clear_sweep(seed, trials, workers, epoch_seconds, scratch, points=None):
    folder = tempfile.mkdtemp(dir=scratch)
    sweep = os.path.join(folder, "search.toml")
    with open(sweep, "w") as f:
        f.write(f"""name = "bench-search"
[grid]
method = ["noop"]
modality = ["text"]
forget_fraction = [5]
[search]
seed = {seed}
trials = {trials}
objective = "model_utility"
[search.asha]
min_epochs = {RUNGS[0]}
max_epochs = {RUNGS[-1]}
eta = {ETA}
[search.space]
x = {{ log_uniform = [1e-4, 1.0] }}
y = {{ uniform = [0.0, 1.0] }}
seconds = {{ choice = [{epoch_seconds}] }}
""")
    out = os.path.join(folder, "r.h5")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    start = time.time()
    subprocess.run(["mpirun", "-np", str(workers + 1), "--oversubscribe", BIN, "run", sweep, "--out", out,
                    "--quiet"], check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.time() - start
    rows = [json.loads(line) for line in open(out + ".journal")]
    resource, events, best, sampled = 0, [], -math.inf, []
    for r in rows:
        hp = dict(kv.split("=") for kv in r["hparams"].split())
        e = int(hp["epochs"])
        if r["rung"] == 0:
            sampled.append({"x": float(hp["x"]), "y": float(hp["y"])})
        resource += e - (RUNGS[r["rung"] - 1] if r["rung"] > 0 else 0)
        if e == RUNGS[-1]:
            events.append((r["finished_at"], r["objective"]))
            best = max(best, r["objective"])
    shutil.rmtree(folder)
    return {"best": best, "wall": wall, "resource": resource, "trials": trials,
            "curve": best_over_time(events, start), "points": sampled}


# ---- Ray Tune -------------------------------------------------------------------------

def run_ray(seed, trials, workers, epoch_seconds, scratch, points):
    import ray
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search.basic_variant import BasicVariantGenerator

    def trainable(config):
        for epoch in range(1, RUNGS[-1] + 1):
            time.sleep(epoch_seconds)
            tune.report({"score": curve(config["x"], config["y"], epoch), "epoch": epoch,
                         "finished_at": time.time()})

    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             _temp_dir=os.path.join(scratch, "ray"))
    start = time.time()
    tuner = tune.Tuner(
        tune.with_resources(trainable, {"cpu": 1}),
        param_space={"x": tune.loguniform(1e-4, 1.0), "y": tune.uniform(0.0, 1.0)},
        tune_config=tune.TuneConfig(
            num_samples=trials, max_concurrent_trials=workers,
            scheduler=ASHAScheduler(time_attr="epoch", metric="score", mode="max", max_t=RUNGS[-1],
                                    grace_period=RUNGS[0], reduction_factor=ETA, brackets=1),
            search_alg=BasicVariantGenerator(points_to_evaluate=points, random_state=seed)),
        run_config=tune.RunConfig(storage_path=os.path.join(scratch, "ray_results"), verbose=0))
    results = tuner.fit()
    wall = time.time() - start
    ray.shutdown()
    resource, events, best = 0, [], -math.inf
    for result in results:
        history = result.metrics_dataframe
        resource += int(history["epoch"].max())
        top = history[history["epoch"] == RUNGS[-1]]
        for _, row in top.iterrows():
            events.append((row["finished_at"], row["score"]))
            best = max(best, row["score"])
    return {"best": best, "wall": wall, "resource": resource, "trials": trials,
            "curve": best_over_time(events, start)}


# ---- Optuna ---------------------------------------------------------------------------

def run_optuna(seed, trials, workers, epoch_seconds, scratch, points):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    events, used = [], []

    def objective(trial):
        x = trial.suggest_float("x", 1e-4, 1.0, log=True)
        y = trial.suggest_float("y", 0.0, 1.0)
        for epoch in range(1, RUNGS[-1] + 1):
            time.sleep(epoch_seconds)
            value = curve(x, y, epoch)
            trial.report(value, epoch)
            if trial.should_prune():
                used.append(epoch)
                raise optuna.TrialPruned()
        used.append(RUNGS[-1])
        events.append((time.time(), value))
        return value

    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.RandomSampler(seed=seed),
        pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=RUNGS[0], reduction_factor=ETA,
                                                      min_early_stopping_rate=0))
    for point in points:
        study.enqueue_trial(point)
    start = time.time()
    study.optimize(objective, n_trials=trials, n_jobs=workers)  # threads: the sleeps overlap
    wall = time.time() - start
    best = max((v for _, v in events), default=-math.inf)
    return {"best": best, "wall": wall, "resource": sum(used), "trials": trials,
            "curve": best_over_time(events, start)}


SEARCHERS = {"clear-sweep ASHA": run_clear_sweep, "Ray Tune ASHAScheduler": run_ray,
             "Optuna SuccessiveHalvingPruner": run_optuna}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--trials", type=int, default=27)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--epoch-seconds", type=float, default=0.05)
    p.add_argument("--overhead-trials", type=int, default=81)
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "search", "results.json"))
    a = p.parse_args()
    scratch = tempfile.mkdtemp(prefix="bench-search-")
    report = {"machine": os.uname().nodename, "cores": os.cpu_count(), "args": vars(a), "runs": {}, "overhead": {}}
    try:
        points = {}  # per seed: the trials clear-sweep sampled, which the peers evaluate too
        for name, fn in SEARCHERS.items():
            runs = []
            for seed in range(a.seeds):
                if name == "clear-sweep ASHA":
                    r = fn(seed, a.trials, a.workers, a.epoch_seconds, scratch)
                    points[seed] = r.pop("points")
                else:
                    r = fn(seed, a.trials, a.workers, a.epoch_seconds, scratch, points[seed])
                r["seed"] = seed
                runs.append(r)
                print(f"{name:32s} seed {seed}: best {r['best']:.4f}, wall {r['wall']:.2f} s, "
                      f"resource {r['resource']} epochs", flush=True)
            report["runs"][name] = runs
            # Overhead: zero-length epochs, so the wall time is the searcher's own.
            if name == "clear-sweep ASHA":
                r = fn(0, a.overhead_trials, a.workers, 0.0, scratch)
                points["overhead"] = r.pop("points")
            else:
                r = fn(0, a.overhead_trials, a.workers, 0.0, scratch, points["overhead"])
            report["overhead"][name] = r["wall"] / a.overhead_trials
            print(f"{name:32s} overhead {1000 * report['overhead'][name]:.1f} ms per trial "
                  f"({a.overhead_trials} zero-length trials in {r['wall']:.2f} s)", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("\nsearcher                          best (mean, min)   to best s  wall s (mean)  epochs (mean)  "
          "overhead/trial")
    for name, runs in report["runs"].items():
        best = [r["best"] for r in runs]
        # Seconds until the final best was found (the curve is rounded to 1e-6).
        to_best = [next(t for t, v in r["curve"] if v >= r["best"] - 1e-5) for r in runs]
        print(f"{name:32s}  {sum(best) / len(best):.4f}, {min(best):.4f}    {sum(to_best) / len(to_best):7.2f}  "
              f"{sum(r['wall'] for r in runs) / len(runs):8.2f}     "
              f"{sum(r['resource'] for r in runs) / len(runs):8.1f}      "
              f"{1000 * report['overhead'][name]:8.1f} ms")
    with open(a.out, "w") as f:
        json.dump(report, f, indent=1)
    print(f"\nwritten: {a.out}")


if __name__ == "__main__":
    sys.exit(main())
