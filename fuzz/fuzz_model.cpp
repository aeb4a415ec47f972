// Model files: ParseModelJson reads the native format and HuggingFace config.json (it dispatches
// on the content), so this one target covers both readers. An accepted model is analysed on a
// fixed device under two scenarios and every result is checked (harness.hpp).

#include "harness.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  slmroof::fuzz::Quiet();
  slmroof::fuzz::FixedRoof();
  slmroof::fuzz::FixedScenarios();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace slmroof;
  const std::string text = fuzz::Text(data, size);
  fuzz::Try([&] {
    const ModelSpec model = ParseModelJson(text, "fuzz", "fuzz");
    for (const std::string& w : model.warnings) {
      fuzz::CheckMessage("warning", w);
    }
    if (model.NumLayers() < 1) {
      fuzz::Crash(fmt::format("accepted a model of {} layers", model.NumLayers()));
    }
    bool render = true;
    for (const Scenario& s : fuzz::FixedScenarios()) {
      fuzz::AnalyzeAndCheck(model, fuzz::FixedRoof(), s, render);
      render = false;
    }
  });
  return 0;
}
