#include "slmroof/cli.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

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
    {"list", "List the built-in models and hardware (with their units), or weight types",
     cli::SetupList},
    {"inspect", "Read a GGUF file's metadata and tensor table: architecture, types, bits per weight",
     cli::SetupInspect},
    {"quant-plan", "Choose the mixed-precision plan of least sensitivity score within a budget",
     cli::SetupQuantPlan},
    {"completion", "Print a shell completion script: bash, zsh or fish", cli::SetupCompletion},
    {"help", "Print help for slmroof or one subcommand; --man prints the manual page",
     cli::SetupHelp},
};

// The subcommand the command line names, when it is one.
std::string SubcommandOf(int argc, char** argv) {
  if (argc > 1) {
    for (const Command& c : kCommands) {
      if (std::string_view(argv[1]) == c.name) {
        return c.name;
      }
    }
  }
  return "";
}

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
  app.require_subcommand(0, 1);
  app.footer(fmt::format("\nExamples:\n{}\nExit codes:\n{}\nRun 'slmroof help SUBCOMMAND' (or slmroof "
                         "SUBCOMMAND --help) for its options; 'slmroof help --man' prints the "
                         "manual page.",
                         cli::ExamplesText(), ExitCodesText()));
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
  // A bare call has nothing to do: the help says what there is (on stderr: stdout is for data).
  if (argc == 1) {
    fmt::print(stderr, "{}", app.help());
    return kExitUsage;
  }
  // A mistyped subcommand gets the closest name rather than CLI11's "A subcommand is required".
  if (argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const Command& c : kCommands) {
      names.emplace_back(c.name);
    }
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      const std::string hint = ClosestName(argv[1], names);
      throw UsageError(fmt::format("unknown subcommand {}{} (subcommands: {})\nRun 'slmroof help' "
                                   "for usage.",
                                   Excerpt(argv[1]),
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
    const std::string sub = SubcommandOf(argc, argv);
    throw UsageError(fmt::format("{}\nRun 'slmroof {}--help' for usage.", e.what(),
                                 sub.empty() ? "" : sub + " "));
  }
  for (auto& [sub, run] : runners) {
    if (sub->parsed()) {
      RefuseEmptyValues(*sub);
      // Fault injection for the tests of exit code 3 (docs/robustness.md): an internal error
      // raised where a defect would be, after the command line was accepted.
      if (const char* fault = std::getenv("SLMROOF_FAULT");
          fault != nullptr && std::string_view(fault) == "internal") {
        throw std::logic_error("fault injected by SLMROOF_FAULT=internal");
      }
      return run();
    }
  }
  // Options but no subcommand (slmroof --seq 4k).
  throw UsageError("a subcommand is required (analyze, compare, sweep, ...)\nRun 'slmroof help' for usage.");
}

}  // namespace slmroof
