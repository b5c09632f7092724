#include "app/cli.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <functional>

#include "app/data_command.h"
#include "app/merge_command.h"
#include "app/methods_command.h"
#include "app/metric_command.h"
#include "app/plan_command.h"
#include "app/report_command.h"
#include "app/status_command.h"
#include "cluster/model_plugin.h"
#include "cluster/run_sweep.h"
#include "common/error.h"
#include "common/exit_codes.h"
#include "common/guarded.h"
#include "common/version.h"
#include "report/table_format.h"

namespace clear_sweep {
namespace {

OutputFormat parse_format(const std::string& name) { return name == "json" ? OutputFormat::json : OutputFormat::text; }

/// --format, the same on every subcommand that prints; parse_format reads the value.
std::shared_ptr<std::string> add_format_option(CLI::App* sub) {
  auto format = std::make_shared<std::string>("text");
  sub->add_option("--format", *format, "Output format: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->group("Output");
  return format;
}

void add_plan(CLI::App& app, std::function<int(std::ostream&)>& action) {
  auto options = std::make_shared<PlanOptions>();
  CLI::App* sub = app.add_subcommand("plan",
                                     "Validate a sweep and show what it would run: job counts, "
                                     "the stages it needs, and how ranks would share the work.");
  sub->add_option("sweep", options->sweep_path, "Sweep file (TOML), e.g. sweeps/mini.toml")->required();
  sub->add_option("--ranks", options->ranks, "Also preview the schedule on N MPI ranks (rank 0 coordinates, N-1 work)")
      ->check(CLI::Range(2, 1000000))
      ->group("Schedule");
  const auto format = add_format_option(sub);
  sub->add_flag("--list", options->list_jobs, "List every job (id and fields) in text output")->group("Output");
  sub->add_option("--shard", options->shard, "Only shard I of N (0 <= I < N), as `run --shard` runs it")
      ->group("Schedule");
  // Flags given win over the profile's values: each is set only when given.
  struct Cost {
    double step_seconds = 0, decode_seconds = 0;
    int64_t step_items = 4, decode_batch = 64;
  };
  auto cost = std::make_shared<Cost>();
  sub->add_option("--step-seconds", cost->step_seconds,
                  "Seconds of one measured training step (gpu_bench train), to estimate GPU-hours")
      ->check(CLI::PositiveNumber)
      ->group("Cost");
  sub->add_option("--step-items", cost->step_items, "Items in that step's batch (default 4)")
      ->check(CLI::Range(1, 1000000))
      ->group("Cost");
  sub->add_option("--decode-seconds", cost->decode_seconds,
                  "Seconds of one greedy decoding step (gpu_bench generate: seconds / new_tokens) at --decode-batch "
                  "rows: evaluation's generation priced as decoding steps, not forward passes")
      ->check(CLI::PositiveNumber)
      ->group("Cost");
  sub->add_option("--decode-batch", cost->decode_batch,
                  "Answers decoded together, at most (default 64, the evaluator's generation batch)")
      ->check(CLI::Range(1, 1000000))
      ->group("Cost");
  sub->add_option("--profile", options->profile,
                  "A device profile, JSON with step_seconds, step_items, decode_seconds and decode_batch "
                  "(scripts/gpu-check.sh writes one); flags given win")
      ->group("Cost");
  sub->callback([&action, options, format, cost, sub] {
    options->format = parse_format(*format);
    if (sub->count("--step-seconds")) options->step_seconds = cost->step_seconds;
    if (sub->count("--step-items")) options->step_items = cost->step_items;
    if (sub->count("--decode-seconds")) options->decode_seconds = cost->decode_seconds;
    if (sub->count("--decode-batch")) options->decode_batch = cost->decode_batch;
    action = [options](std::ostream& out) { return plan_command(*options, out); };
  });
}

void add_methods(CLI::App& app, std::function<int(std::ostream&)>& action) {
  CLI::App* sub = app.add_subcommand("methods",
                                     "List the unlearning methods a sweep may name, with their "
                                     "hyperparameters, defaults and valid ranges.");
  const auto format = add_format_option(sub);
  sub->callback([&action, format] {
    action = [format](std::ostream& out) { return methods_command(parse_format(*format), out); };
  });
}

void add_run(CLI::App& app, std::function<int(std::ostream&)>& action, std::ostream& err) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* sub = app.add_subcommand(
      "run",
      "Run a sweep under MPI: mpirun -np N clear-sweep run SWEEP.toml (rank 0 coordinates, ranks 1..N-1 "
      "work). Rerunning the same command resumes: stored jobs are skipped. Exit 75: stopped by a signal, "
      "resumable.");
  sub->add_option("sweep", o->sweep_path, "Sweep file (TOML)")->required();
  sub->add_option("--out", o->out_path,
                  "Results file (HDF5); default results/<sweep name>.h5 (.shard-I-of-N.h5 with --shard)")
      ->group("Results");
  sub->add_option("--shard", o->shard,
                  "Run only shard I of N of the grid (0 <= I < N): jobs whose id hashes to I, and the stages "
                  "they need; e.g. a Slurm job array task")
      ->group("Scheduling");
  sub->add_flag("--retry-failed", o->coordinator.retry_failed, "Also rerun jobs stored as failed")->group("Results");
  sub->add_flag("--force", o->force, "Add this sweep's jobs to a file that holds another experiment's results")
      ->group("Results");
  sub->add_flag("--dry-run", o->dry_run,
                "Rehearse: every method runs as noop and stages as markers (checks MPI, scheduling, stage order "
                "and the results file before spending compute)")
      ->group("Results");
  sub->add_option("--grace", o->coordinator.grace_seconds,
                  "After SIGTERM/SIGUSR1, seconds running jobs may take to finish before the sweep stops")
      ->check(CLI::NonNegativeNumber)
      ->group("Stopping");
  sub->add_option("--prefetch", o->coordinator.prefetch,
                  "Tasks each worker holds beyond the one it runs, to hide the round trip (short jobs)")
      ->check(CLI::Range(0, 64))
      ->group("Scheduling");
  sub->add_option("--job-timeout", o->coordinator.job_timeout,
                  "Seconds a job may run before its rank is taken for hung: the job fails, the rank gets no more "
                  "work, the others finish, then MPI_Abort ends the run (exit 4). 0: 10 x the job's estimated cost "
                  "at the pace of the jobs finished so far, at least 600 s")
      ->check(CLI::NonNegativeNumber)
      ->group("Stopping");
  sub->add_option("--heartbeat", o->heartbeat_seconds, "Seconds between a busy worker's heartbeats")
      ->check(CLI::PositiveNumber)
      ->group("Progress");
  sub->add_option("--progress", o->coordinator.progress_seconds, "Seconds between progress lines (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->group("Progress");
  sub->add_flag("--quiet", o->coordinator.quiet, "Only failures and the final summary")->group("Progress");
  sub->add_option("--log-json", o->coordinator.log_json_path, "Append a JSON-lines event log to this file")
      ->group("Progress");
  sub->callback([&action, &err, o] {
    o->coordinator.dry_run = o->dry_run;
    action = [o, &err](std::ostream& out) { return run_sweep(*o, out, err); };
  });
}

void add_status(CLI::App& app, std::function<int(std::ostream&)>& action) {
  auto o = std::make_shared<StatusOptions>();
  CLI::App* sub = app.add_subcommand("status",
                                     "Summarise a results file, while its sweep runs or after: counts by status and "
                                     "method, what is left of the grid, the latest failures.");
  sub->add_option("results", o->results_path, "Results file (HDF5), e.g. results/mini.h5")->required();
  const auto format = add_format_option(sub);
  sub->add_option("--failures", o->failures, "How many of the latest failures to show")->group("Output");
  sub->add_flag("--require-complete", o->require_complete,
                "Exit 1 unless every job of the grid (or of the file's shard) is stored, failed or not; "
                "slurm/ scripts check a finished sweep with it");
  sub->callback([&action, o, format] {
    o->format = parse_format(*format);
    action = [o](std::ostream& out) { return status_command(*o, out); };
  });
}

void add_merge(CLI::App& app, std::function<int(std::ostream&)>& action) {
  auto o = std::make_shared<MergeOptions>();
  CLI::App* sub = app.add_subcommand("merge",
                                     "Merge results files (the shards of a job array, runs elsewhere) into a new one: "
                                     "one row per job, a success over a failure, then the latest.");
  sub->add_option("out", o->out_path, "New results file to write (must not exist)")->required();
  sub->add_option("inputs", o->inputs, "Results files to merge")->required();
  sub->add_flag("--force", o->force, "Merge files of different experiments (context hashes)");
  sub->callback([&action, o] { action = [o](std::ostream& out) { return merge_command(*o, out); }; });
}

void add_data(CLI::App& app, std::function<int(std::ostream&)>& action) {
  CLI::App* data = app.add_subcommand("data", "Datasets: generate the synthetic world, validate and count a dataset.");
  data->require_subcommand(1);

  auto synth = std::make_shared<DataSynthOptions>();
  CLI::App* s = data->add_subcommand("synth",
                                     "Generate the synthetic CLEAR-like world (persons, QA, identity images, real "
                                     "sets, splits) into a new folder. Same seed, same bytes.");
  s->add_option("--out", synth->out_dir, "New dataset folder (must not exist or be empty)")->required();
  auto& w = synth->world;
  s->add_option("--persons", w.persons, "Trained persons (the forget / retain pool)")->capture_default_str();
  s->add_option("--images-per-person", w.images_per_person, "Images of each person")->capture_default_str();
  s->add_option("--seed", w.seed, "Seed of the world")->capture_default_str();
  s->add_option("--benchmark", synth->benchmark,
                "clear, mllmu: an MLLMU-Bench-like world (profiles, choice / cloze / generation questions, "
                "test images, --celebrities as its celebrity set), or tofu: a TOFU-like one (the authors' QA "
                "without images, --celebrities famous authors of real_authors, --objects world_facts)")
      ->check(CLI::IsMember({"clear", "mllmu", "tofu"}))
      ->capture_default_str();
  s->add_option("--holdout", w.holdout, "Persons never trained on (default: 10 % of --persons, at least 2)")
      ->group("More sizes");
  s->add_option("--celebrities", w.celebrities, "Identities of the real_faces set (mllmu: the celebrity set)")
      ->capture_default_str()
      ->group("More sizes");
  s->add_option("--images-per-celebrity", w.images_per_celebrity, "Images of each celebrity")
      ->capture_default_str()
      ->group("More sizes");
  s->add_option("--objects", w.objects, "Items of the real_world set")->capture_default_str()->group("More sizes");
  s->add_option("--image-size", w.image_size, "Image width and height in pixels")
      ->capture_default_str()
      ->group("More sizes");
  s->callback([&action, synth] { action = [synth](std::ostream& out) { return data_synth_command(*synth, out); }; });

  auto stats = std::make_shared<DataStatsOptions>();
  CLI::App* st =
      data->add_subcommand("stats", "Validate a dataset folder (every record and image) and count it per split.");
  st->add_option("dir", stats->dir, "Dataset folder")->required();
  const auto format = add_format_option(st);
  st->add_flag("--digest", stats->digest, "Also print the SHA-256 of the folder's bytes");
  st->callback([&action, stats, format] {
    stats->format = parse_format(*format);
    action = [stats](std::ostream& out) { return data_stats_command(*stats, out); };
  });
}

void add_finetune(CLI::App& app, std::function<int(std::ostream&)>& action, std::ostream& err) {
  auto o = std::make_shared<FinetuneCommandOptions>();
  CLI::App* sub = app.add_subcommand("finetune",
                                     "Train the stages a sweep needs: the base model on every trained person and a "
                                     "gold model per forget fraction on its retain split. Artifacts are named by "
                                     "content, so a second call (or `run`) reuses them.");
  sub->add_option("sweep", o->sweep_path, "Sweep file (TOML)")->required();
  sub->add_option("--artifacts", o->artifacts, "Folder of stage artifacts (default results/artifacts)");
  sub->add_option("--device", o->device, "auto, cpu, cuda or cuda:N (default: the sweep's [resources] device)");
  sub->add_option("--threads", o->threads,
                  "CPU threads (1 is fastest for the tiny model: small matrices lose more to thread "
                  "hand-offs than they gain)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  sub->callback(
      [&action, &err, o] { action = [o, &err](std::ostream& out) { return model_plugin().finetune(*o, out, err); }; });
}

void add_score(CLI::App& app, std::function<int(std::ostream&)>& action, std::ostream& err) {
  auto o = std::make_shared<ScoreCommandOptions>();
  CLI::App* sub = app.add_subcommand(
      "score",
      "Score each line's answer under a model and generate greedily, with the model folder's prompt template, "
      "image processing and tokenizer: how a model is checked against other tools.");
  sub->add_option("--model", o->model, "Model folder (config.json, weights, tokenizer)")->required();
  sub->add_option("--items", o->items, "JSON lines {\"question\", \"answer\", \"image\"?}")->required();
  sub->add_option("--images", o->images, "Folder that image paths are relative to (default: the items file's)");
  sub->add_option("--max-new-tokens", o->max_new_tokens, "Greedy generation length; 0 skips generation")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  sub->add_option("--device", o->device, "cpu, auto, cuda or cuda:N")->capture_default_str();
  auto* prompt = sub->add_option("--prompt", o->prompt,
                                 "chat: prompt a model through its folder's chat template; llava-1.5: an Idefics2 "
                                 "folder through LLaVA-1.5's (MLLMU-Bench's evaluation) (default: the folder's own "
                                 "prompt)")
                     ->check(CLI::IsMember({"plain", "chat", "llava-1.5"}));
  sub->add_option("--system-prompt", o->system_prompt, "With --prompt chat: the system turn before each question")
      ->needs(prompt);
  sub->add_option("--date-string", o->date_string, "With --prompt chat: the template's date_string (Llama-3's)")
      ->needs(prompt);
  auto format = add_format_option(sub);  // json: one object per line (README, "Checking a model")
  sub->callback([&action, &err, o, format] {
    o->json = parse_format(*format) == OutputFormat::json;
    action = [o, &err](std::ostream& out) { return model_plugin().score(*o, out, err); };
  });
}

void add_metric(CLI::App& app, std::function<int(std::ostream&)>& action) {
  CLI::App* metric = app.add_subcommand("metric", "Rescore with the sweep's exact metrics, one number per input line.");
  metric->require_subcommand(1);
  auto path = std::make_shared<std::string>();
  auto type = std::make_shared<std::string>("rougeL"), measure = std::make_shared<std::string>("recall");
  CLI::App* rouge = metric->add_subcommand(
      "rouge", "ROUGE (rouge_score, use_stemmer=True) of lines {\"reference\": ..., \"prediction\": ...}");
  rouge->add_option("file", *path, "JSON-lines file")->required();
  rouge->add_option("--type", *type, "rougeL (CLEAR), rouge1 or rouge2")
      ->check(CLI::IsMember({"rougeL", "rouge1", "rouge2"}))
      ->capture_default_str();
  rouge->add_option("--measure", *measure, "recall (CLEAR), precision or fmeasure (MLLMU-Bench)")
      ->check(CLI::IsMember({"recall", "precision", "fmeasure"}))
      ->capture_default_str();
  rouge->callback([&action, path, type, measure] {
    action = [path, type, measure](std::ostream& out) { return metric_rouge_command(*path, *type, *measure, out); };
  });
  CLI::App* bleu =
      metric->add_subcommand("bleu",
                             "Sentence BLEU (NLTK, whitespace tokens, smoothing method1, as MLLMU-Bench) of lines "
                             "{\"reference\": ..., \"prediction\": ...}");
  bleu->add_option("file", *path, "JSON-lines file")->required();
  bleu->callback([&action, path] { action = [path](std::ostream& out) { return metric_bleu_command(*path, out); }; });
  CLI::App* ks = metric->add_subcommand(
      "ks", "Two-sample KS p-value (scipy.stats.ks_2samp, method auto) of lines {\"a\": [...], \"b\": [...]}");
  ks->add_option("file", *path, "JSON-lines file")->required();
  ks->callback([&action, path] { action = [path](std::ostream& out) { return metric_ks_command(*path, out); }; });
}

void add_report(CLI::App& app, std::function<int(std::ostream&)>& action) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* sub = app.add_subcommand(
      "report",
      "The leaderboard of results files: merged by job id, seeds averaged (mean and sd), each method's best "
      "setting (highest forget quality with model utility >= 95 % of the Original model's), CLEAR's columns, and "
      "the Original and Gold reference rows.");
  sub->add_option("results", o->inputs, "Results files (HDF5)")->required();
  sub->add_option("--format", o->format,
                  "table (default), md, csv or html (one self-contained page: sortable tables, trade-off plots)")
      ->check(CLI::IsMember(table_formats()));
  sub->add_option("--out", o->out_path, "Write the report to this file (replaces only a report written before)");
  sub->add_option("--compare", o->compare_with,
                  "Another results file of the same sweep: per-metric differences, job by job (a run on another "
                  "machine, another libtorch)");
  sub->add_option("--tolerance", o->tolerance,
                  "With --compare: differences above this count; exit 1 if any metric has one")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--by", o->by, "Group rows by these, in order: method, modality, forget_fraction")->delimiter(',');
  sub->add_flag("--all", o->all_settings, "Every hyperparameter setting, not only each method's best");
  sub->add_option("--adapters-out", o->adapters_out,
                  "Copy the shown settings' LoRA adapters (PEFT folders, every seed) into this folder");
  sub->add_option("--adapters-from", o->adapters_from, "Where the run saved them ([resources] save_adapters = \"all\")")
      ->capture_default_str();
  sub->callback([&action, o] { action = [o](std::ostream& out) { return report_command(*o, out); }; });
}

/// Under mpirun every rank parses the same command line: only one should complain.
bool is_first_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"})
    if (const char* value = std::getenv(name)) return std::string(value) == "0";
  return true;
}

}  // namespace

int cli_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "clear-sweep: multimodal machine-unlearning benchmarks (CLEAR) as MPI sweeps.\n"
      "Exit codes: 0 ok, 1 some work failed, 2 bad input (nothing written), 3 internal error.",
      "clear-sweep"};
  app.set_version_flag("--version", std::string("clear-sweep ") + version() + " (" + build_description() + ")");
  app.require_subcommand(1);
  app.fallthrough(false);

  std::function<int(std::ostream&)> action;
  add_plan(app, action);
  add_run(app, action, err);
  add_status(app, action);
  add_merge(app, action);
  add_methods(app, action);
  add_data(app, action);
  add_finetune(app, action, err);
  add_score(app, action, err);
  add_metric(app, action);
  add_report(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version are "errors" to CLI11 with exit code 0; real ones become exit 2.
    if (e.get_exit_code() != 0 && !is_first_rank()) return kExitBadInput;
    const int code = app.exit(e, out, err);
    return code == 0 ? kExitOk : kExitBadInput;
  }

  return run_guarded(err, [&] { return action(out); });
}

}  // namespace clear_sweep
