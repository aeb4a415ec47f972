// Runtime files: engine profiles (ParseEngineJson, engines/*.json) and calibration files
// (ParseCalibrationJson, `slmroof calibrate -o`). Both readers see every input. An accepted
// profile's backends are attached to a fixed device's roof, an accepted calibration is applied
// to it, and a fixed model is analysed on the result and checked (harness.hpp).

#include "harness.hpp"

namespace {

using namespace slmroof;

void CheckFraction(double v, const std::string& what) {
  fuzz::CheckPositive(v, what);
  if (v > 1) {
    fuzz::Crash(fmt::format("{} is above 1: {}", what, v));
  }
}

void CheckRuntime(const Runtime& r) {
  CheckFraction(r.bandwidth_fraction, "bandwidth_fraction");
  CheckFraction(r.compute_fraction, "compute_fraction");
  fuzz::CheckNonNegative(r.exec.overhead_per_pass_s, "overhead_per_pass_s");
  fuzz::CheckNonNegative(r.exec.overhead_per_layer_s, "overhead_per_layer_s");
  if (r.exec.n_ubatch < 0 || r.exec.kv_pad < 0 || r.exec.kv_pad_unfused < 0) {
    fuzz::Crash(fmt::format("negative n_ubatch {}, kv_pad {} or kv_pad_unfused {}",
                            r.exec.n_ubatch, r.exec.kv_pad, r.exec.kv_pad_unfused));
  }
}

// The fixed device's roof with `runtime` attached, as ResolveRoofs builds it.
Roof RoofWith(const Runtime& runtime) {
  const HardwareSpec& hw = fuzz::FixedDevice();
  std::vector<std::string> fallbacks;
  Roof roof = ResolveRoof(hw, RoofKind::kTheoretical, "", &fallbacks);
  AttachRuntime(runtime, &hw, &roof);
  return roof;
}

void FuzzEngine(const std::string& text) {
  const EngineProfile engine = ParseEngineJson(text, "fuzz");
  if (engine.backends.empty()) {
    fuzz::Crash("accepted an engine without backends");
  }
  const HardwareSpec& hw = fuzz::FixedDevice();
  const Roof& base = fuzz::FixedRoof();
  // The default backend for the device's unit, then each listed backend by name (at most 8).
  std::vector<std::string> backends = {""};
  for (size_t i = 0; i < engine.backends.size() && i < 8; ++i) {
    const std::string& name = engine.backends[i].name;
    backends.push_back(name.substr(0, name.find('/')));
  }
  bool render = true;
  for (const std::string& backend : backends) {
    fuzz::Try([&] {
      const Runtime r = ResolveRuntime(engine, backend, base.device, base.unit_kind, hw.kind);
      CheckRuntime(r);
      const Roof roof = RoofWith(r);
      for (const Scenario& s : fuzz::FixedScenarios()) {
        fuzz::AnalyzeAndCheck(fuzz::FixedModel(), roof, s, render);
        render = false;
      }
    });
  }
}

void FuzzCalibration(const std::string& text) {
  const std::vector<CalibrationEntry> entries = ParseCalibrationJson(text, "fuzz");
  for (const CalibrationEntry& c : entries) {
    CheckFraction(c.bandwidth_fraction, "calibration bandwidth_fraction");
    CheckFraction(c.compute_fraction, "calibration compute_fraction");
    fuzz::CheckNonNegative(c.overhead_per_pass_s, "calibration overhead_per_pass_s");
    fuzz::CheckNonNegative(c.overhead_per_layer_s, "calibration overhead_per_layer_s");
  }
  Roof roof = fuzz::FixedRoof();
  if (ApplyCalibration(entries, &roof)) {
    for (const Scenario& s : fuzz::FixedScenarios()) {
      fuzz::AnalyzeAndCheck(fuzz::FixedModel(), roof, s, false);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  slmroof::fuzz::Quiet();
  slmroof::fuzz::FixedRoof();
  slmroof::fuzz::FixedModel();
  slmroof::fuzz::FixedScenarios();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = slmroof::fuzz::Text(data, size);
  slmroof::fuzz::Try([&] { FuzzEngine(text); });
  slmroof::fuzz::Try([&] { FuzzCalibration(text); });
  return 0;
}
