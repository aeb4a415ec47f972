#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "slmroof/dtype.hpp"

namespace slmroof {

/// ASCII lower-casing for names and option values.
std::string ToLower(std::string_view text);

/// `text` without leading and trailing white space.
std::string_view Trim(std::string_view text);

/// Parses a rate such as "120GB/s", "120e9", "68.25 GB/s" or "100GiB/s" into bytes per second.
/// Throws UsageError naming `what` when the text is not a positive finite quantity.
double ParseBandwidth(std::string_view text, std::string_view what);

/// Parses a compute rate such as "3.5T", "3.5TFLOPS", "7e12" or "614G" into operations per second.
double ParseRate(std::string_view text, std::string_view what);

/// Splits "a=1,b=2" into lower-cased, trimmed (key, value) pairs; throws UsageError naming
/// `what` and `form` when an item has no '='.
std::vector<std::pair<std::string, std::string>> ParseKeyValueList(std::string_view text,
                                                                   std::string_view what,
                                                                   std::string_view form);

/// A --peak value: one rate for every precision, or per-precision rates ("fp16=3.5T,int8=7T").
struct PeakSpec {
  double all = 0;                     ///< > 0 when one rate applies to every precision
  std::map<Precision, double> each;   ///< per-precision rates
};

/// Parses a --peak value; throws UsageError on a bad precision name or rate.
PeakSpec ParsePeakSpec(std::string_view text);

}  // namespace slmroof
