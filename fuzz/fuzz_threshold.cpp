// `compare --fail-if` expressions: ParseThreshold ("tpot>+5%", "decode_tokens_per_s < -10%").
// An accepted threshold names a known metric and a finite value, and is then tested against a
// fixed comparison (two models on one device) whose hits must be finite.

#include "harness.hpp"
#include "slmroof/compare.hpp"

namespace {

using namespace slmroof;

// qwen2.5-0.5b against smollm2-135m on the fixed roof, at two sequence lengths.
const std::pair<std::vector<AnalysisResult>, std::vector<AnalysisResult>>& Sides() {
  static const auto sides = [] {
    std::vector<AnalysisResult> base, candidate;
    const ModelSpec other = LoadModel("smollm2-135m");
    for (int64_t seq : {128, 4096}) {
      Scenario s;
      s.seq_len = seq;
      base.push_back(Analyze(fuzz::FixedModel(), fuzz::FixedRoof(), s, MeasuredTps{}));
      candidate.push_back(Analyze(other, fuzz::FixedRoof(), s, MeasuredTps{}));
    }
    return std::make_pair(base, candidate);
  }();
  return sides;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  slmroof::fuzz::Quiet();
  Sides();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = slmroof::fuzz::Text(data, size);
  slmroof::fuzz::Try([&] {
    const Threshold t = ParseThreshold(text);
    if (t.metric == nullptr || FindCompareMetric(t.metric->name) != t.metric || t.expr != text) {
      fuzz::Crash("accepted threshold without its metric or expression");
    }
    fuzz::CheckFinite(t.value, "threshold value");
    const Comparison c = BuildComparison(Sides().first, Sides().second, {t});
    for (const ThresholdResult& r : c.thresholds) {
      for (const ThresholdHit& h : r.hits) {
        fuzz::CheckFinite(h.value, "threshold hit");
      }
      if (r.crossed()) {
        fuzz::CheckFinite(r.worst().value, "worst hit");
      }
    }
    for (const std::string& line : CrossedThresholdMessages(c)) {
      fuzz::CheckMessage("crossed threshold", line);
    }
  });
  return 0;
}
