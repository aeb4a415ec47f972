// `slmroof help [SUBCOMMAND]` and `slmroof help --man`: the help text, and a manual page written
// from the same option definitions, so that neither can drift from what the parser accepts.
#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/text.hpp"

namespace slmroof::cli {

namespace {

// Escapes text for roff: backslashes, and a '.' or '\'' that would start a request.
std::string Roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  std::string lines;
  size_t start = 0;
  while (start <= out.size()) {
    const size_t end = std::min(out.find('\n', start), out.size());
    std::string line = out.substr(start, end - start);
    if (!line.empty() && (line[0] == '.' || line[0] == '\'')) {
      line = "\\&" + line;
    }
    lines += line;
    if (end < out.size()) {
      lines += '\n';
    }
    start = end + 1;
  }
  return lines;
}

// An option as the manual shows it: "-o, --output TEXT".
std::string OptionHeading(const CLI::Option& opt) {
  std::string names = opt.get_name(false, true);
  std::replace(names.begin(), names.end(), ',', ' ');
  std::string heading;
  size_t start = 0;
  while (start < names.size()) {
    const size_t end = std::min(names.find(' ', start), names.size());
    heading += (heading.empty() ? "" : ", ") + names.substr(start, end - start);
    start = end + 1;
  }
  if (opt.get_expected_max() != 0) {
    heading += " " + opt.get_type_name();
  }
  return heading;
}

void AddSubcommand(const CLI::App& sub, std::string* page) {
  *page += fmt::format(".SS \"{}\"\n{}\n.PP\n.B slmroof {}\n[OPTIONS]", sub.get_name(),
                       Roff(sub.get_description()), sub.get_name());
  for (const CLI::Option* opt : sub.get_options()) {
    if (opt->get_positional()) {
      *page += fmt::format(" {}{}{}", opt->get_required() ? "" : "[", Roff(opt->get_name()),
                           opt->get_required() ? "" : "]");
    }
  }
  *page += "\n";
  for (const CLI::Option* opt : sub.get_options()) {
    if (opt->get_name() == "--help") {
      continue;
    }
    std::string text = opt->get_description();
    if (!opt->get_default_str().empty()) {
      text += fmt::format(" (default: {})", opt->get_default_str());
    }
    *page += fmt::format(".TP\n.B {}\n{}\n", Roff(opt->get_positional() ? opt->get_name()
                                                                        : OptionHeading(*opt)),
                         Roff(text));
  }
  if (!sub.get_footer().empty()) {
    *page += fmt::format(".PP\n.nf\n{}\n.fi\n", Roff(sub.get_footer()));
  }
}

}  // namespace

std::string ManualPage(const CLI::App& app) {
  std::string page = fmt::format(
      ".TH SLMROOF 1 \"\" \"slmroof {}\" \"User Commands\"\n"
      ".SH NAME\nslmroof \\- roofline analysis of small language models on edge devices\n"
      ".SH SYNOPSIS\n.B slmroof\n.I SUBCOMMAND\n[OPTIONS] [ARGUMENTS]\n"
      ".SH DESCRIPTION\n{}\n",
      SLMROOF_VERSION,
      Roff("slmroof tells how a small language model will run on a device before it runs: for "
           "every operator the FLOPs it does per byte it moves (operational intensity), where "
           "that lands on the device's roofline, whether it is memory- or compute-bound, how long "
           "prefill and each decode step take, how much memory the model needs, and how much "
           "inference potential is left (the Relative Inference Potential of RooflineBench). "
           "Models, devices and runtime profiles are built in (slmroof list) or read from JSON "
           "files (a Hugging Face config.json, or slmroof's own formats)."));
  page += ".SH SUBCOMMANDS\n";
  for (const CLI::App* sub : app.get_subcommands({})) {
    AddSubcommand(*sub, &page);
  }
  page += fmt::format(".SH \"EXIT STATUS\"\n.nf\n{}.fi\n", Roff(ExitCodesText()));
  page += ".SH EXAMPLES\n.nf\n" + Roff(ExamplesText()) + ".fi\n";
  page += ".SH \"SEE ALSO\"\nThe README and docs/ of the source tree: docs/cost-model.md (every "
          "formula), docs/compare.md, docs/sweep.md, docs/plots.md, docs/accuracy.md.\n";
  return page;
}

const char* ExamplesText() {
  return "  slmroof analyze                                  the built-in example\n"
         "  slmroof analyze qwen2.5-1.5b --hw rpi5 --seq 4k --weights Q4_K_M\n"
         "  slmroof analyze config.json --hw device.json --plot roofline.png\n"
         "  slmroof sweep qwen2.5-0.5b --hw rpi5,m4 --seq 128:32k:x2 -o grid.csv\n"
         "  slmroof compare base.json candidate.json --fail-if 'tpot>+5%'\n"
         "  slmroof list                                     models and devices built in\n"
         "  source <(slmroof completion bash)                tab completion in this shell\n";
}

std::function<int()> SetupHelp(CLI::App& cmd) {
  auto topic = std::make_shared<std::string>();
  auto man = std::make_shared<bool>(false);
  cmd.add_option("subcommand", *topic, "The subcommand to describe [default: all of slmroof]");
  cmd.add_flag("--man", *man, "Print the manual page (roff; man -l - reads it from stdin)");
  return [topic, man, &cmd] {
    const CLI::App& app = *cmd.get_parent();
    if (*man) {
      if (!topic->empty()) {
        throw UsageError("help: --man prints the whole manual; give no subcommand with it");
      }
      fmt::print("{}", ManualPage(app));
      return kExitOk;
    }
    if (topic->empty()) {
      // app.help() would describe the subcommand parsed (help itself).
      fmt::print("{}", app.get_formatter()->make_help(&app, "slmroof", CLI::AppFormatMode::Normal));
      return kExitOk;
    }
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == *topic) {
        fmt::print("{}", sub->help("slmroof"));
        return kExitOk;
      }
      names.push_back(sub->get_name());
    }
    const std::string hint = ClosestName(*topic, names);
    throw UsageError(fmt::format("help: unknown subcommand {}{} (subcommands: {})", Excerpt(*topic),
                                 hint.empty() ? "" : fmt::format(", did you mean '{}'?", hint),
                                 fmt::join(names, ", ")));
  };
}

}  // namespace slmroof::cli
