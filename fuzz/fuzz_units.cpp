// Command-line quantities and names. The first byte picks the parser, the rest is its text:
//   0 ParseBandwidth (--bandwidth)     1 ParseRate (--peak, --measured-tps)
//   2 ParsePeakSpec (--peak)           3 ParseKeyValueList (--measured-tps, --max-error, compare)
//   4 ParseWeightSetting (--weights)   5 ParsePrecision and DTypeByName (--act, --kv)
// Results are checked against what the parsers promise (units.hpp, weights.hpp, dtype.hpp).

#include "harness.hpp"
#include "slmroof/dtype.hpp"
#include "slmroof/units.hpp"
#include "slmroof/weights.hpp"

namespace {

using namespace slmroof;

void Bandwidth(std::string_view text) {
  fuzz::CheckPositive(ParseBandwidth(text, "--bandwidth"), "ParseBandwidth");
}

void Rate(std::string_view text) { fuzz::CheckPositive(ParseRate(text, "--peak"), "ParseRate"); }

void Peak(std::string_view text) {
  const PeakSpec spec = ParsePeakSpec(text);
  if (spec.each.empty()) {
    fuzz::CheckPositive(spec.all, "PeakSpec.all");
  } else if (spec.all != 0) {
    fuzz::Crash(fmt::format("PeakSpec has both a rate for all ({}) and per precision", spec.all));
  }
  for (const auto& [p, rate] : spec.each) {
    fuzz::CheckPositive(rate, fmt::format("PeakSpec {}", PrecisionName(p)));
  }
}

void KeyValues(std::string_view text) {
  const auto items = ParseKeyValueList(text, "--x", "key=value");
  if (items.empty()) {
    fuzz::Crash("ParseKeyValueList accepted text without items");
  }
  for (const auto& [key, value] : items) {
    if (key.find_first_of("=,") != std::string::npos || value.find(',') != std::string::npos ||
        key != ToLower(key) || Trim(key) != key || Trim(value) != value) {
      fuzz::Crash(fmt::format("ParseKeyValueList item '{}'='{}'", fuzz::Escape(key),
                              fuzz::Escape(value)));
    }
  }
}

void Weights(std::string_view text) {
  const WeightSetting w = ParseWeightSetting(text);
  if (w.type == nullptr || w.name.empty() || w.file_type < -1 ||
      w.file_type >= static_cast<int>(LlamaFileTypes().size())) {
    fuzz::Crash(fmt::format("WeightSetting '{}' type {} file_type {}", fuzz::Escape(w.name),
                            static_cast<const void*>(w.type), w.file_type));
  }
  // The name it gives is one it reads back the same.
  const WeightSetting again = ParseWeightSetting(w.name);
  if (again.type != w.type || again.file_type != w.file_type || again.pure != w.pure) {
    fuzz::Crash(fmt::format("WeightSetting '{}' reads back differently", fuzz::Escape(w.name)));
  }
  const WeightMix mix = MixOf(fuzz::FixedModel(), w);
  fuzz::CheckPositive(mix.bytes, "WeightMix.bytes");
  const double bits = mix.bits_per_weight();
  if (!(bits > 0 && bits <= 32)) {
    fuzz::Crash(fmt::format("'{}': {} bits per weight", fuzz::Escape(w.name), bits));
  }
}

void Names(std::string_view text) {
  Precision p;
  if (ParsePrecision(text, &p)) {
    Precision again;
    if (!ParsePrecision(PrecisionName(p), &again) || again != p) {
      fuzz::Crash(fmt::format("precision '{}' does not read back", PrecisionName(p)));
    }
  }
  const DType* t = FindDType(text);
  if (t != nullptr) {
    fuzz::CheckPositive(t->bits, "DType.bits");
    if (&DTypeByName(t->name) != t) {
      fuzz::Crash(fmt::format("dtype '{}' does not read back", t->name));
    }
  }
  DTypeByName(text);  // throws UsageError when FindDType found nothing
  if (t == nullptr) {
    fuzz::Crash("DTypeByName accepted a name FindDType does not know");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  slmroof::fuzz::Quiet();
  slmroof::fuzz::FixedModel();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string text = slmroof::fuzz::Text(data + 1, size - 1);
  using Parser = void (*)(std::string_view);
  static constexpr Parser kParsers[] = {Bandwidth, Rate, Peak, KeyValues, Weights, Names};
  const Parser parse = kParsers[data[0] % (sizeof(kParsers) / sizeof(kParsers[0]))];
  slmroof::fuzz::Try([&] { parse(text); });
  return 0;
}
