// Device files: ParseHardwareJson. On an accepted device, a fixed model is analysed on each of
// its first units: on the theoretical roof with the ideal engine, and on every roof kind with
// llama.cpp's default backend for the unit; every result is checked (harness.hpp).

#include "harness.hpp"

namespace {

const slmroof::EngineProfile& LlamaCpp() {
  static const slmroof::EngineProfile engine = slmroof::LoadEngine("llama.cpp");
  return engine;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  slmroof::fuzz::Quiet();
  slmroof::fuzz::FixedModel();
  LlamaCpp();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace slmroof;
  const std::string text = fuzz::Text(data, size);
  fuzz::Try([&] {
    const HardwareSpec hw = ParseHardwareJson(text, "fuzz");
    if (hw.units.empty()) {
      fuzz::Crash("accepted a device without compute units");
    }
    fuzz::CheckPositive(hw.capacity_bytes, "capacity_bytes");
    fuzz::CheckPositive(hw.bandwidth_bytes_per_s.theoretical, "bandwidth theoretical");
    const Scenario scenario;
    const size_t units = std::min<size_t>(hw.units.size(), 4);
    for (size_t u = 0; u < units; ++u) {
      const std::string& unit = hw.units[u].name;
      for (const std::string& s : SuspectMeasuredFigures(hw, unit)) {
        fuzz::CheckMessage("suspect figure", s);
      }
      for (RoofKind kind : {RoofKind::kTheoretical, RoofKind::kMeasured, RoofKind::kCalibrated}) {
        fuzz::Try([&] {
          std::vector<std::string> fallbacks;
          Roof roof = ResolveRoof(hw, kind, unit, &fallbacks);
          fuzz::CheckPositive(roof.bandwidth_bytes_per_s, "roof bandwidth");
          if (kind == RoofKind::kTheoretical) {  // the bare roof once; the runtime's on each kind
            fuzz::AnalyzeAndCheck(fuzz::FixedModel(), roof, scenario, u == 0);
          }
          fuzz::Try([&] {
            AttachRuntime(ResolveRuntime(LlamaCpp(), "", roof.device, roof.unit_kind, hw.kind),
                          &hw, &roof);
            if (kind == RoofKind::kCalibrated) {
              ApplyCalibration(roof.calibration, &roof);
            }
            fuzz::AnalyzeAndCheck(fuzz::FixedModel(), roof, scenario, false);
          });
        });
      }
    }
  });
  return 0;
}
