// The command line: parses argv, runs one subcommand, and is the catch boundary that
// turns errors into one-line messages and exit codes (exit_codes.h).
#pragma once

#include <ostream>

namespace clear_sweep {

/// main() without the process: tests call it with string streams.
int cli_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace clear_sweep
