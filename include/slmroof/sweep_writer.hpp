#pragma once

#include <cstdio>
#include <memory>

#include "slmroof/sweep.hpp"

namespace slmroof {

/// Output formats of `sweep`.
enum class SweepFormat { kCsv, kJsonl, kTable };

/// A sweep sink that prints rows as they arrive (docs/sweep.md lists the columns).
class SweepWriter : public SweepSink {
 public:
  /// Writes what is still buffered; call once after the last row.
  virtual void Finish() = 0;
};

/// A writer of `format` to `out`; the CSV header or table heading is written at once. With
/// `operators`, every operator gets a row after its phase's totals row.
std::unique_ptr<SweepWriter> MakeSweepWriter(SweepFormat format, bool operators, std::FILE* out);

}  // namespace slmroof
