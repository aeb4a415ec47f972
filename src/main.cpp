#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "slmroof/cli.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/temp_files.hpp"
#include "slmroof/text.hpp"

namespace {

// Prints an error, each of its lines made printable and bounded (a message may quote input).
int Fail(const char* kind, const char* what, int code) {
  const std::string text = what;
  size_t start = 0;
  for (int line = 0; line < 20 && start <= text.size(); ++line) {
    const size_t end = std::min(text.find('\n', start), text.size());
    fmt::print(stderr, "{}{}\n", line == 0 ? fmt::format("slmroof: {}: ", kind) : "",
               slmroof::OneLine(std::string_view(text).substr(start, end - start)));
    start = end + 1;
  }
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  slmroof::InstallSignalHandling();
  // stdout carries data only: every log line goes to stderr.
  auto logger = spdlog::stderr_color_mt("slmroof");
  logger->set_pattern("slmroof: %l: %v");
  spdlog::set_default_logger(logger);
  try {
    const int code = slmroof::Run(argc, argv);
    // --help and --version go through std::cout: a closed pipe is an error there too.
    if (!std::cout.flush() || std::fflush(stdout) != 0) {
      throw slmroof::InputError("cannot write to stdout");
    }
    return code;
  } catch (const slmroof::UsageError& e) {
    return Fail("error", e.what(), 2);
  } catch (const slmroof::InputError& e) {
    return Fail("error", e.what(), 1);
  } catch (const std::exception& e) {
    return Fail("internal error", e.what(), 3);
  }
}
