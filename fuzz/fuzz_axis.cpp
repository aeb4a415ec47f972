// Sweep axes: ParseIntAxis ("1,2,4", "128:4096:x2", "1:1000:+7", ...) with the bounds the CLI
// passes (--seq and --batch of analyze, sweep and compare; --layers of sweep). An accepted axis
// must hold at least one value and no more than its items can span, and every value must lie
// within the bounds (the first, the last and a sample in between are read).

#include "harness.hpp"
#include "slmroof/axis.hpp"

namespace {

using namespace slmroof;

struct Bounds {
  const char* what;
  int64_t min;
  int64_t max;
};

// As src/cli/*.cpp passes them (include/slmroof/limits.hpp: kSeqLen, kBatch, kDepth).
constexpr Bounds kBounds[] = {
    {"--seq", 1, int64_t{1} << 30},
    {"--batch", 1, int64_t{1} << 20},
    {"--layers", 1, 4096},
};

void Check(const std::string& text, const Bounds& b) {
  const IntAxis axis = ParseIntAxis(text, b.what, b.min, b.max);
  const size_t n = axis.size();
  const auto items = static_cast<double>(std::count(text.begin(), text.end(), ',') + 1);
  const double most = items * static_cast<double>(b.max - b.min + 1);
  if (n == 0 || static_cast<double>(n) > most) {
    fuzz::Crash(fmt::format("{}: {} values from {} items", b.what, n, items));
  }
  const size_t samples = std::min<size_t>(n, 64);
  for (size_t k = 0; k < samples; ++k) {
    // Evenly spread indexes from 0 to n - 1.
    const size_t i = samples == 1 ? 0
                                  : static_cast<size_t>(static_cast<double>(n - 1) *
                                                        static_cast<double>(k) /
                                                        static_cast<double>(samples - 1));
    const int64_t v = axis.at(i);
    if (v < b.min || v > b.max) {
      fuzz::Crash(fmt::format("{}: value {} at index {} of {} is outside [{}, {}]", b.what, v, i,
                              n, b.min, b.max));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  slmroof::fuzz::Quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = slmroof::fuzz::Text(data, size);
  for (const Bounds& b : kBounds) {
    slmroof::fuzz::Try([&] { Check(text, b); });
  }
  return 0;
}
