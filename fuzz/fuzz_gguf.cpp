// GGUF files: ParseGguf reads the header, metadata and tensor table of arbitrary bytes. An
// accepted file is summarised as `slmroof inspect` does and its invariants checked: the table
// fits the file, every tensor's size follows from its type and shape, and the totals add up.
// Where its architecture maps, the model it holds is read (ModelFromGguf), analysed, and must
// hold exactly the file's tensor bytes.

#include "harness.hpp"

#include "slmroof/gguf_summary.hpp"
#include "slmroof/io/gguf.hpp"
#include "slmroof/plan.hpp"
#include "slmroof/weights.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  slmroof::fuzz::Quiet();
  (void)slmroof::fuzz::FixedRoof();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace slmroof;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  fuzz::Try([&] {
    const GgufFile f = ParseGguf(bytes, "fuzz.gguf");
    if (f.data_start > f.file_size && !f.tensors.empty()) {
      fuzz::Crash(fmt::format("data section at {} past the file's {} bytes", f.data_start, f.file_size));
    }
    double bytes_sum = 0;
    for (const GgufTensor& t : f.tensors) {
      if (t.type == nullptr || t.ne.empty() || t.ne.size() > 4) {
        fuzz::Crash("accepted a tensor without a type or with 0 or more than 4 dimensions");
      }
      if (t.offset + t.bytes > f.file_size - f.data_start) {
        fuzz::Crash(fmt::format("tensor data [{}, +{}) past the file", t.offset, t.bytes));
      }
      const double expected = t.elements() / static_cast<double>(t.type->block) *
                              static_cast<double>(t.type->bytes);
      if (static_cast<double>(t.bytes) != expected) {
        fuzz::Crash(fmt::format("tensor of {} bytes where type and shape give {}", t.bytes, expected));
      }
      bytes_sum += static_cast<double>(t.bytes);
    }
    const GgufSummary s = Summarize(f);
    if (s.bytes != bytes_sum || !std::isfinite(s.bits_per_weight())) {
      fuzz::Crash("the summary's totals disagree with the tensors");
    }
    (void)s.TypeMix();
    // The model the file holds, where its architecture maps: every stored type costed, the
    // weights held equal to the file's tensors, and the analysis within its promises.
    const ModelSpec m = ModelFromGguf(f, "fuzz");
    Scenario sc;
    sc.seq_len = 64;
    sc.weights = StoredWeights(m, m.stored_file_type);
    const double held = WeightsInMemory(m, sc);
    if (std::fabs(held - bytes_sum) > 1e-9 * std::max(1.0, bytes_sum)) {
      fuzz::Crash(fmt::format("a mapped model holds {} bytes of a file of {} tensor bytes", held,
                              bytes_sum));
    }
    fuzz::AnalyzeAndCheck(m, fuzz::FixedRoof(), sc, false);
    (void)PlanFromStoredTypes(m);
  });
  return 0;
}
