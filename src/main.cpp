#include <cstdio>
#include <exception>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "slmroof/cli.hpp"
#include "slmroof/errors.hpp"

int main(int argc, char** argv) {
  // stdout carries data only: every log line goes to stderr.
  auto logger = spdlog::stderr_color_mt("slmroof");
  logger->set_pattern("slmroof: %l: %v");
  spdlog::set_default_logger(logger);
  try {
    return slmroof::Run(argc, argv);
  } catch (const slmroof::UsageError& e) {
    fmt::print(stderr, "slmroof: error: {}\n", e.what());
    return 2;
  } catch (const slmroof::InputError& e) {
    fmt::print(stderr, "slmroof: error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "slmroof: internal error: {}\n", e.what());
    return 3;
  }
}
