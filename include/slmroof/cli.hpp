#pragma once

namespace slmroof {

/// Parses the command line and runs the chosen subcommand; returns the exit code. Throws
/// InputError (exit 1) and UsageError (exit 2), which main() reports.
int Run(int argc, char** argv);

}  // namespace slmroof
