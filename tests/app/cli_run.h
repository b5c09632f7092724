// Runs the command line in-process, as `clear-sweep ARGS...` would, capturing its output.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "app/cli.h"

namespace clear_sweep::testing {

struct CliRun {
  int code;
  std::string out, err;
};

inline CliRun run_cli(std::vector<std::string> args) {
  args.insert(args.begin(), "clear-sweep");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = cli_main(int(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

inline int run_cli(std::vector<std::string> args, std::string& out, std::string& err) {
  CliRun r = run_cli(std::move(args));
  out = std::move(r.out);
  err = std::move(r.err);
  return r.code;
}

}  // namespace clear_sweep::testing
