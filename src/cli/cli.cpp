#include "slmroof/cli.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/text.hpp"

namespace slmroof {

namespace {

// Every subcommand, so that --help and dispatch come from one table.
struct Command {
  const char* name;
  const char* description;
  cli::Setup setup;
};

const Command kCommands[] = {
    {"analyze", "Place every operator of a model on a device's roofline", cli::SetupAnalyze},
    {"compare", "Compare two models or settings on the same devices; gate CI with --fail-if",
     cli::SetupCompare},
    {"sweep", "Evaluate a grid of models, devices and scenarios; one row per point and phase",
     cli::SetupSweep},
    {"validate",
     "Replay measured tokens/s through the predictor; gate accuracy with --max-error (exit 4)",
     cli::SetupValidate},
    {"calibrate", "Fit a runtime's achieved fractions and fixed costs to measurements",
     cli::SetupCalibrate},
    {"list", "List the built-in models, hardware or weight types", cli::SetupList},
};

// An empty value (--hw '', a model named '') is a usage error, never "use the default".
void RefuseEmptyValues(const CLI::App& cmd) {
  for (const CLI::Option* opt : cmd.get_options()) {
    if (opt->get_type_size() == 0) {
      continue;  // a flag
    }
    for (const std::string& value : opt->results()) {
      if (value.empty()) {
        const std::string name = opt->get_name();
        throw UsageError(fmt::format("{}: the value is empty", name.empty() ? "argument" : name));
      }
    }
  }
}

}  // namespace

int Run(int argc, char** argv) {
  CLI::App app{"slmroof: roofline analysis of small language models on edge devices"};
  app.name("slmroof");
  app.set_version_flag("--version", std::string("slmroof ") + SLMROOF_VERSION);
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, std::function<int()>>> runners;
  for (const Command& c : kCommands) {
    CLI::App* sub = app.add_subcommand(c.name, c.description);
    runners.emplace_back(sub, c.setup(*sub));
  }
  // CLI11 takes an empty word for no value at all: caught here, before it can shift the others.
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] == '\0') {
      const bool after_option = i > 1 && argv[i - 1][0] == '-' && argv[i - 1][1] != '\0';
      throw UsageError(after_option
                           ? fmt::format("{}: the value is empty", OneLine(argv[i - 1], 100))
                           : fmt::format("argument {} is empty", i));
    }
  }
  // A mistyped subcommand gets the closest name rather than CLI11's "A subcommand is required".
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const Command& c : kCommands) {
      names.emplace_back(c.name);
    }
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      const std::string hint = ClosestName(argv[1], names);
      throw UsageError(fmt::format("unknown subcommand {}{} (subcommands: {})", Excerpt(argv[1]),
                                   hint.empty() ? "" : fmt::format(", did you mean '{}'?", hint),
                                   fmt::join(names, ", ")));
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return app.exit(e);  // --help and --version print to stdout
    }
    throw UsageError(fmt::format("{}\nRun 'slmroof --help' for usage.", e.what()));
  }
  for (auto& [sub, run] : runners) {
    if (sub->parsed()) {
      RefuseEmptyValues(*sub);
      return run();
    }
  }
  return 2;
}

}  // namespace slmroof
