// `slmroof completion bash|zsh|fish`: completion scripts written from the parser's own option
// definitions, with the built-in preset names and every enumerated value (README "Shell
// completion").
#include <algorithm>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "slmroof/dtype.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/io/hardware_reader.hpp"
#include "slmroof/presets.hpp"
#include "slmroof/weights.hpp"

namespace slmroof::cli {

namespace {

// What may follow an option (or fill a positional argument).
struct Completion {
  std::vector<std::string> names;  ///< long and short option names; empty for a positional
  std::string description;
  bool takes_value = true;
  std::vector<std::string> words;  ///< the values it takes, when they are a known set
  bool files = false;              ///< file names complete too
};

struct Command {
  std::string name;
  std::string description;
  std::vector<Completion> options;
  std::vector<Completion> positionals;
};

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// The values of an option the parser checks against a set ("TEXT:{a,b,c}").
std::vector<std::string> Enumerated(const CLI::Option& opt) {
  const std::string type = opt.get_type_name();
  const size_t open = type.find('{');
  const size_t close = type.find('}', open);
  std::vector<std::string> words;
  if (open == std::string::npos || close == std::string::npos) {
    return words;
  }
  size_t start = open + 1;
  while (start < close) {
    const size_t end = std::min(type.find(',', start), close);
    words.push_back(type.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

// Preset names and other known values, by option name; `files` when a path fits too.
std::vector<std::string> KnownValues(const std::string& name, bool* files,
                                     const std::vector<std::string>& subcommands) {
  if (name == "--hw") {
    *files = true;
    return HardwareNamesAndAliases();
  }
  if (name == "--model" || name == "models" || name == "base" || name == "candidate") {
    *files = true;
    return PresetNames(EmbeddedModelPresets());
  }
  if (name == "--engine") {
    return PresetNames(EmbeddedEnginePresets());
  }
  if (name == "--weights") {
    std::vector<std::string> words;
    for (const LlamaFileType& f : LlamaFileTypes()) {
      words.push_back(f.name);
    }
    for (const DType& t : AllDTypes()) {
      words.push_back(t.name);
    }
    return words;
  }
  if (name == "--unit") {
    // Unit names differ per device (ane, gpu-tensor, dla): every name a preset uses.
    std::vector<std::string> units;
    for (const PresetText& p : EmbeddedHardwarePresets()) {
      for (const ComputeUnit& u : ParseHardwareJson(p.text, p.name).units) {
        units.push_back(u.name);
      }
    }
    return units;
  }
  if (name == "subcommand") {
    return subcommands;
  }
  *files = name == "-o" || name == "--output" || name == "--plot" || name == "--calibration" ||
           name == "measurements";
  return {};
}

std::vector<Command> Describe(const CLI::App& app) {
  std::vector<std::string> subcommands;
  for (const CLI::App* sub : app.get_subcommands({})) {
    subcommands.push_back(sub->get_name());
  }
  std::vector<Command> commands;
  for (const CLI::App* sub : app.get_subcommands({})) {
    Command c{sub->get_name(), sub->get_description(), {}, {}};
    for (const CLI::Option* opt : sub->get_options()) {
      Completion o;
      o.description = opt->get_description();
      o.takes_value = opt->get_expected_max() != 0;  // a flag expects no value
      const std::string key = opt->get_positional() ? opt->get_name() : opt->get_name(false, false);
      o.words = Enumerated(*opt);
      if (o.words.empty()) {
        o.words = KnownValues(key, &o.files, subcommands);
      }
      o.words = Sorted(o.words);
      if (opt->get_positional()) {
        c.positionals.push_back(std::move(o));
        continue;
      }
      for (const std::string& s : opt->get_snames()) {
        o.names.push_back("-" + s);
      }
      for (const std::string& l : opt->get_lnames()) {
        o.names.push_back("--" + l);
      }
      c.options.push_back(std::move(o));
    }
    commands.push_back(std::move(c));
  }
  return commands;
}

// Single-quoted for the shells: ' becomes '\''.
std::string Quote(const std::string& text) {
  std::string out = "'";
  for (char ch : text) {
    out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  }
  return out + "'";
}

std::string Words(const std::vector<std::string>& words) {
  return fmt::format("{}", fmt::join(words, " "));
}

std::string Bash(const std::vector<Command>& commands) {
  std::string s =
      "# bash completion for slmroof (slmroof completion bash); load it with\n"
      "#   source <(slmroof completion bash)\n"
      "_slmroof() {\n"
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "  local sub=\"${COMP_WORDS[1]}\" words=\"\" files=0\n"
      "  COMPREPLY=()\n"
      "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n";
  std::vector<std::string> names;
  for (const Command& c : commands) {
    names.push_back(c.name);
  }
  s += fmt::format("    COMPREPLY=($(compgen -W {} -- \"$cur\"))\n    return 0\n  fi\n",
                   Quote(Words(names) + " --help --version"));
  s += "  case \"$sub\" in\n";
  for (const Command& c : commands) {
    s += fmt::format("    {})\n      case \"$prev\" in\n", c.name);
    std::vector<std::string> flags;
    for (const Completion& o : c.options) {
      flags.insert(flags.end(), o.names.begin(), o.names.end());
      if (!o.takes_value) {
        continue;
      }
      s += fmt::format("        {}) words={}; files={} ;;\n", fmt::join(o.names, "|"),
                       Quote(Words(o.words)), o.files ? 1 : 0);
    }
    s += "      esac\n";
    // After an option that takes a value, complete its value; else options or positionals.
    s += fmt::format(
        "      case \"$prev\" in\n        {})\n          ;;\n"
        "        *)\n"
        "          if [[ \"$cur\" == -* ]]; then\n"
        "            COMPREPLY=($(compgen -W {} -- \"$cur\"))\n            return 0\n"
        "          fi\n",
        [&] {
          std::vector<std::string> with_value;
          for (const Completion& o : c.options) {
            if (o.takes_value) {
              with_value.insert(with_value.end(), o.names.begin(), o.names.end());
            }
          }
          return with_value.empty() ? std::string("--never-an-option--")
                                    : fmt::format("{}", fmt::join(with_value, "|"));
        }(),
        Quote(Words(flags)));
    std::vector<std::string> positional_words;
    bool positional_files = false;
    for (const Completion& p : c.positionals) {
      positional_words.insert(positional_words.end(), p.words.begin(), p.words.end());
      positional_files = positional_files || p.files;
    }
    s += fmt::format("          words={}; files={}\n          ;;\n      esac\n      ;;\n",
                     Quote(Words(Sorted(positional_words))), positional_files ? 1 : 0);
  }
  s += "  esac\n"
       "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
       "  if [ \"$files\" -eq 1 ]; then\n"
       "    compopt -o filenames 2>/dev/null\n"
       "    COMPREPLY+=($(compgen -f -- \"$cur\"))\n"
       "  fi\n"
       "  return 0\n"
       "}\n"
       "complete -F _slmroof slmroof\n";
  return s;
}

// zsh's _arguments spec escapes: [ ] : and \ inside descriptions.
std::string ZshEscape(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (ch == '[' || ch == ']' || ch == ':' || ch == '\\') {
      out += '\\';
    }
    out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  }
  return out;
}

std::string ZshAction(const Completion& o) {
  if (!o.words.empty() && o.files) {
    return fmt::format("{{_files; _values value {}}}", Words(o.words));
  }
  if (!o.words.empty()) {
    return fmt::format("({})", Words(o.words));
  }
  return o.files ? "_files" : " ";
}

std::string Zsh(const std::vector<Command>& commands) {
  std::string s =
      "#compdef slmroof\n"
      "# zsh completion for slmroof (slmroof completion zsh); install it as _slmroof in a\n"
      "# directory of $fpath, or load it with: source <(slmroof completion zsh)\n"
      "_slmroof() {\n"
      "  local curcontext=\"$curcontext\" state line\n"
      "  typeset -A opt_args\n"
      "  _arguments -C '(- *)--help[print help]' '(- *)--version[print the version]' \\\n"
      "    '1:subcommand:->subcommand' '*::argument:->argument'\n"
      "  case $state in\n"
      "    subcommand)\n"
      "      local -a subcommands\n"
      "      subcommands=(\n";
  for (const Command& c : commands) {
    s += fmt::format("        '{}:{}'\n", c.name, ZshEscape(c.description));
  }
  s += "      )\n      _describe subcommand subcommands\n      ;;\n"
       "    argument)\n      case $line[1] in\n";
  for (const Command& c : commands) {
    s += fmt::format("        {})\n          _arguments \\\n", c.name);
    for (const Completion& o : c.options) {
      const std::string desc = ZshEscape(o.description.substr(0, 120));
      for (const std::string& n : o.names) {
        s += o.takes_value ? fmt::format("            '{}[{}]:value:{}' \\\n", n, desc, ZshAction(o))
                           : fmt::format("            '{}[{}]' \\\n", n, desc);
      }
    }
    for (const Completion& p : c.positionals) {
      s += fmt::format("            '*:argument:{}' \\\n", ZshAction(p));
      break;  // one rest-of-arguments spec
    }
    s += "            && return 0\n          ;;\n";
  }
  s += "      esac\n      ;;\n  esac\n}\n"
       "if [ \"$funcstack[1]\" = \"_slmroof\" ]; then\n  _slmroof \"$@\"\nelse\n"
       "  compdef _slmroof slmroof\nfi\n";
  return s;
}

std::string Fish(const std::vector<Command>& commands) {
  std::vector<std::string> names;
  for (const Command& c : commands) {
    names.push_back(c.name);
  }
  std::string s = fmt::format(
      "# fish completion for slmroof (slmroof completion fish); install it as\n"
      "# ~/.config/fish/completions/slmroof.fish, or load it with:\n"
      "#   slmroof completion fish | source\n"
      "complete -c slmroof -f\n"
      "complete -c slmroof -n '__fish_use_subcommand' -l help -d 'print help'\n"
      "complete -c slmroof -n '__fish_use_subcommand' -l version -d 'print the version'\n");
  for (const Command& c : commands) {
    s += fmt::format("complete -c slmroof -n '__fish_use_subcommand' -a {} -d {}\n", c.name,
                     Quote(c.description));
  }
  for (const Command& c : commands) {
    const std::string when = fmt::format("'__fish_seen_subcommand_from {}'", c.name);
    for (const Completion& o : c.options) {
      std::string spec;
      for (const std::string& n : o.names) {
        spec += n.size() == 2 ? fmt::format(" -s {}", n.substr(1)) : fmt::format(" -l {}", n.substr(2));
      }
      if (o.takes_value) {
        spec += o.files ? " -r -F" : " -x";
        if (!o.words.empty()) {
          spec += " -a " + Quote(Words(o.words));
        }
      }
      s += fmt::format("complete -c slmroof -n {}{} -d {}\n", when, spec,
                       Quote(o.description.substr(0, 120)));
    }
    for (const Completion& p : c.positionals) {
      s += fmt::format("complete -c slmroof -n {}{}{}\n", when,
                       p.words.empty() ? "" : " -a " + Quote(Words(p.words)), p.files ? " -F" : "");
    }
  }
  return s;
}

}  // namespace

std::function<int()> SetupCompletion(CLI::App& cmd) {
  auto shell = std::make_shared<std::string>();
  cmd.add_option("shell", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  cmd.footer(
      "\nbash: source <(slmroof completion bash), or save it as "
      "~/.local/share/bash-completion/completions/slmroof\n"
      "zsh:  slmroof completion zsh > \"${fpath[1]}/_slmroof\"\n"
      "fish: slmroof completion fish > ~/.config/fish/completions/slmroof.fish\n"
      "The Debian package installs all three.");
  return [shell, &cmd] {
    const std::vector<Command> commands = Describe(*cmd.get_parent());
    const std::string text =
        *shell == "bash" ? Bash(commands) : *shell == "zsh" ? Zsh(commands) : Fish(commands);
    fmt::print("{}", text);
    return kExitOk;
  };
}

}  // namespace slmroof::cli
