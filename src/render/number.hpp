#pragma once

// Private to the renderers: numbers and text for machines (CSV, JSON Lines).

#include <string>
#include <string_view>

namespace slmroof::number {

/// Appends `text` as one CSV field, quoted as RFC 4180 asks when it holds a separator, a quote
/// or a line break.
void AppendCsvField(std::string_view text, std::string* out);

/// Longest text WriteSig10 writes, without a terminator.
inline constexpr int kMaxChars = 24;

/// Writes `v` with 10 significant digits, exactly as printf's "%.10g" does, to `out` and returns
/// the end. Whole numbers below 2^53 (most FLOP and byte counts) take an integer-only path,
/// several times faster than a conversion with a precision; other values use std::to_chars.
char* WriteSig10(double v, char* out);

}  // namespace slmroof::number
