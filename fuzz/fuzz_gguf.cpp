// GGUF files: ParseGguf reads the header, metadata and tensor table of arbitrary bytes. An
// accepted file is summarised as `slmroof inspect` does and its invariants checked: the table
// fits the file, every tensor's size follows from its type and shape, and the totals add up.

#include "harness.hpp"

#include "slmroof/gguf_summary.hpp"
#include "slmroof/io/gguf.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  slmroof::fuzz::Quiet();
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
  });
  return 0;
}
