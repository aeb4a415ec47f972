// Measurement files: ParseMeasurements as ReadMeasurements uses it for one file, on every input
// three times: as llama-bench JSON (.json), JSON Lines (.jsonl) and CSV (.csv: slmroof's own
// columns, or llama-bench's -o csv). Accepted rows are checked against the reader's bounds.
// FileTypeFromModelType, which reads llama-bench's model_type, sees the raw text too.

#include "harness.hpp"
#include "slmroof/io/measurement_reader.hpp"
#include "slmroof/weights.hpp"

namespace {

using namespace slmroof;

void CheckRow(const Measurement& m) {
  fuzz::CheckMessage("measurement origin", m.origin);
  if (m.phase != "prefill" && m.phase != "decode") {
    fuzz::Crash(fmt::format("{}: phase '{}'", m.origin, fuzz::Escape(m.phase)));
  }
  fuzz::CheckPositive(m.tokens_per_s, m.origin + " tokens_per_s");
  if (m.n_prompt < 0 || m.n_depth < 0 || m.n_gen < 0 || m.batch < 1 ||
      (m.threads && *m.threads < 1)) {
    fuzz::Crash(fmt::format("{}: n_prompt {} n_depth {} n_gen {} batch {} threads {}", m.origin,
                            m.n_prompt, m.n_depth, m.n_gen, m.batch, m.threads.value_or(1)));
  }
}

void Parse(const std::string& text, const char* origin) {
  MeasurementDefaults defaults;
  defaults.model = "qwen2.5-0.5b";
  defaults.device = "jetson-orin-nano-super";
  for (const Measurement& m : ParseMeasurements(text, origin, defaults)) {
    CheckRow(m);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  slmroof::fuzz::Quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = slmroof::fuzz::Text(data, size);
  for (const char* origin : {"fuzz.json", "fuzz.jsonl", "fuzz.csv"}) {
    slmroof::fuzz::Try([&] { Parse(text, origin); });
  }
  // Documented to return "" for names it does not know: it may not throw at all, and a name it
  // returns is one --weights accepts.
  slmroof::fuzz::NoThrow("FileTypeFromModelType", [&] {
    const std::string name = slmroof::FileTypeFromModelType(text);
    if (!name.empty()) {
      slmroof::ParseWeightSetting(name);
    }
  });
  return 0;
}
