#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace slmroof {

/// The values of one sweep axis (sequence lengths, batch sizes, depths), in the order given.
/// Arithmetic ranges are not expanded, so an axis of a billion points costs a few bytes.
class IntAxis {
 public:
  /// Number of values.
  size_t size() const { return size_; }
  /// The i-th value, 0 <= i < size().
  int64_t at(size_t i) const;
  /// The largest value (0 for an empty axis), without visiting every value of a range.
  int64_t max() const;

 private:
  // A run of values start, start + step, ... (count of them); explicit lists use step 0.
  struct Segment {
    int64_t start = 0;
    int64_t step = 0;
    size_t count = 0;
    std::vector<int64_t> values;  ///< used when not an arithmetic run
  };
  void Append(Segment s);
  std::vector<Segment> segments_;
  size_t size_ = 0;
  friend IntAxis ParseIntAxis(std::string_view, std::string_view, int64_t, int64_t, bool);
};

/// Parses a comma-separated list whose items are integers or ranges START:STOP[:STEP]. STEP is
/// +K or K (add), -K (subtract), xK (multiply) or /K (divide); STOP is included when reached.
/// Every value must lie in [min, max]. Throws UsageError naming `what` on any malformed item.
/// With `token_suffixes` (axes of token counts), a value or an additive step may end in k or K
/// (x 1024) or m or M (x 1024^2): "4k" is 4096, "1k:32k:+1k" a range.
IntAxis ParseIntAxis(std::string_view text, std::string_view what, int64_t min, int64_t max,
                     bool token_suffixes = false);

/// One token count ("4096", "4k" = 4096, "1M" = 1048576) in [min, max]; throws UsageError naming
/// `what` otherwise.
int64_t ParseTokenCount(std::string_view text, std::string_view what, int64_t min, int64_t max);

}  // namespace slmroof
