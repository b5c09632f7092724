"""Results files as pandas DataFrames: one row per job, hyperparameters as columns.

The `runs` table of a results file holds one row per stored job (the fields of
src/store/result_record.h, then the metrics in metric_columns order). A job id may be
stored in several files (shards, reruns): the same rule as `clear-sweep merge` keeps a
success over a failure, then the later one.
"""

import h5py
import numpy as np
import pandas as pd

# The last fixed field before the metric columns in the runs table (schema 3).
_LAST_FIELD = "constraint_margin"


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


def _metric_names(f):
    names = list(f["runs"].dtype.names)
    return names[names.index(_LAST_FIELD) + 1:]


def metric_names(path):
    """The metric columns of a results file, in the order of its reference vectors."""
    with h5py.File(path, "r") as f:
        return _metric_names(f)


def _parse_hparams(text):
    params = {}
    for kv in text.split():
        key, _, value = kv.partition("=")
        try:
            params[key] = float(value)
        except ValueError:
            params[key] = value
    return params


def load_runs(paths):
    """Every job of `paths`, merged by job id, hyperparameters expanded into columns."""
    frames = []
    for path in paths:
        with h5py.File(path, "r") as f:
            runs = f["runs"][()]
        frame = pd.DataFrame({name: [_text(v) for v in runs[name]] for name in runs.dtype.names})
        frame["file"] = path
        frames.append(frame)
    runs = pd.concat(frames, ignore_index=True)
    runs["ok"] = runs["status"] == "ok"
    runs = runs.sort_values(["job_id", "ok", "finished_at"]).drop_duplicates("job_id", keep="last")
    params = pd.DataFrame([_parse_hparams(h) for h in runs["hparams"]], index=runs.index)
    return pd.concat([runs, params], axis=1).reset_index(drop=True)


def references(runs):
    """The Original and Gold rows per (forget_fraction, modality), from the job records.

    Returns a DataFrame indexed by (forget_fraction, modality, model) with the metric
    columns; empty when the files hold no model jobs (a dry run).
    """
    rows = []
    seen = set()
    for _, job in runs[runs["ok"]].iterrows():
        key = (job["forget_fraction"], job["modality"])
        if key in seen:
            continue
        with h5py.File(job["file"], "r") as f:
            names = _metric_names(f)
            group = f["jobs"].get(job["job_id"])
            if group is None or "reference_original_metrics" not in group:
                continue
            for model, name in (("Original", "reference_original_metrics"), ("Gold", "reference_gold_metrics")):
                values = np.asarray(group[name])
                if len(values) != len(names):
                    raise ValueError(f"{job['file']}: jobs/{job['job_id']}/{name} has {len(values)} values "
                                     f"for {len(names)} metrics")
                rows.append({"forget_fraction": key[0], "modality": key[1], "model": model, **dict(zip(names, values))})
        seen.add(key)
    if not rows:
        return pd.DataFrame(columns=["forget_fraction", "modality", "model"]).set_index(
            ["forget_fraction", "modality", "model"])
    return pd.DataFrame(rows).set_index(["forget_fraction", "modality", "model"])
