#!/usr/bin/env python3
"""analysis/ on a real results file: a dry run of sweeps/mini.toml under mpirun writes
it, then results_frame reads it and l1_tradeoff.py plots it.

    test_analysis.py CLEAR_SWEEP_BIN MPIEXEC
"""

import os
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(root, "analysis"))
from results_frame import load_runs, metric_names, references  # noqa: E402


def main(binary, mpiexec):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "mini.h5")
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        subprocess.run([mpiexec, "-np", "2", "--oversubscribe", binary, "run", os.path.join(root, "sweeps/mini.toml"),
                        "--dry-run", "--quiet", "--out", out], check=True, env=env)

        # The same file twice: merged by job id, one row per job.
        runs = load_runs([out, out])
        assert len(runs) == 60, len(runs)
        assert runs["ok"].all()
        assert sorted(runs["lr"].unique()) == [1e-3, 3e-3], runs["lr"].unique()
        assert sorted(runs["l1_lambda"].unique()) == [0.0, 1e-4, 2e-4], runs["l1_lambda"].unique()
        assert set(runs["method"]) == {"retain_ft", "ga", "gd", "kl", "idk", "dpo", "npo", "rmu", "scrub", "llmu"}
        names = metric_names(out)
        # CLEAR's 22 columns, open-unlearning's 11, 4 forget metrics at 4 attack stages, then
        # MLLMU-Bench's 4 sets x 6 measures x 2 Types, the visual benchmark's 7, then TOFU's
        # 2 sets x 3 measures.
        assert names[0] == "forget_rouge" and names[21] == "umia_auc" and len(names) == 22 + 11 + 16 + 48 + 7 + 6, names
        assert names[33] == "attack_relearn_before_forget_prob", names
        assert names[-14] == "mllmu_celebrity_bleu_text", names
        assert names[-13] == "faces_forget_accuracy" and names[-7] == "faces_ulira_auc", names
        assert names[-6] == "tofu_real_authors_prob" and names[-1] == "tofu_world_facts_truth_ratio", names
        assert references(runs).empty  # a dry run evaluates no model

        image = os.path.join(tmp, "l1.png")
        shown = subprocess.run([sys.executable, os.path.join(root, "analysis/l1_tradeoff.py"), out, "--out", image],
                               check=True, capture_output=True, text=True).stdout
        assert "wrote " + image in shown, shown
        with open(image, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        # A metric the file lacks is a one-line error naming it.
        bad = subprocess.run([sys.executable, os.path.join(root, "analysis/l1_tradeoff.py"), out, "--x", "nope"],
                             capture_output=True, text=True)
        assert bad.returncode != 0 and "no metric 'nope'" in bad.stderr, bad.stderr
    print("analysis ok")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
