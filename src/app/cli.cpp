#include "app/cli.h"

#include <CLI/CLI.hpp>

#include <functional>

#include "app/exit_codes.h"
#include "app/methods_command.h"
#include "app/plan_command.h"
#include "common/error.h"
#include "common/version.h"

namespace clear_sweep {
namespace {

OutputFormat parse_format(const std::string& name) {
  return name == "json" ? OutputFormat::json : OutputFormat::text;
}

void add_plan(CLI::App& app, std::function<int(std::ostream&)>& action) {
  auto options = std::make_shared<PlanOptions>();
  auto format = std::make_shared<std::string>("text");
  CLI::App* sub = app.add_subcommand("plan", "Validate a sweep and show what it would run: job counts, "
                                             "the stages it needs, and how ranks would share the work.");
  sub->add_option("sweep", options->sweep_path, "Sweep file (TOML), e.g. sweeps/mini.toml")->required();
  sub->add_option("--ranks", options->ranks,
                  "Also preview the schedule on N MPI ranks (rank 0 coordinates, N-1 work)")
      ->check(CLI::Range(2, 1000000))
      ->group("Schedule");
  sub->add_option("--format", *format, "Output format: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->group("Output");
  sub->add_flag("--list", options->list_jobs, "List every job (id and fields) in text output")->group("Output");
  sub->callback([&action, options, format] {
    options->format = parse_format(*format);
    action = [options](std::ostream& out) { return plan_command(*options, out); };
  });
}

void add_methods(CLI::App& app, std::function<int(std::ostream&)>& action) {
  auto format = std::make_shared<std::string>("text");
  CLI::App* sub = app.add_subcommand("methods", "List the unlearning methods a sweep may name, with their "
                                                "hyperparameters, defaults and valid ranges.");
  sub->add_option("--format", *format, "Output format: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->group("Output");
  sub->callback([&action, format] {
    action = [format](std::ostream& out) { return methods_command(parse_format(*format), out); };
  });
}

}  // namespace

int cli_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"clear-sweep: multimodal machine-unlearning benchmarks (CLEAR) as MPI sweeps.\n"
               "Exit codes: 0 ok, 1 some work failed, 2 bad input (nothing written), 3 internal error.",
               "clear-sweep"};
  app.set_version_flag("--version", std::string("clear-sweep ") + version());
  app.require_subcommand(1);
  app.fallthrough(false);

  std::function<int(std::ostream&)> action;
  add_plan(app, action);
  add_methods(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version are "errors" to CLI11 with exit code 0; real ones become exit 2.
    const int code = app.exit(e, out, err);
    return code == 0 ? kExitOk : kExitBadInput;
  }

  try {
    return action(out);
  } catch (const Error& e) {
    err << e.what() << "\n";
    return kExitBadInput;
  } catch (const InternalError& e) {
    err << e.what() << "\n";
    return kExitInternal;
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace clear_sweep
