// `compare` arguments "MODEL" or "MODEL@key=value,...": ParseSide (src/cli/compare.cpp). An
// accepted side names the text before the last '@' (or the whole argument) and has valid
// storage types.

#include "cli/commands.hpp"
#include "harness.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  slmroof::fuzz::Quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace slmroof;
  const std::string text = fuzz::Text(data, size);
  static const Scenario shared;
  fuzz::Try([&] {
    const cli::Side side = cli::ParseSide(text, "base", shared);
    const size_t at = text.rfind('@');
    if (side.model != text && (at == std::string::npos || side.model != text.substr(0, at))) {
      fuzz::Crash(fmt::format("side model '{}' from '{}'", fuzz::Escape(side.model),
                              fuzz::Escape(text)));
    }
    if (side.scenario.weights.type == nullptr) {
      fuzz::Crash("side without a weight type");
    }
    fuzz::CheckPositive(side.scenario.act.bits, "act bits");
    fuzz::CheckPositive(side.scenario.kv.bits, "kv bits");
  });
  return 0;
}
