#pragma once

// Private to the renderers: numbers for machines (CSV, JSON Lines).

namespace slmroof::number {

/// Longest text WriteSig10 writes, without a terminator.
inline constexpr int kMaxChars = 24;

/// Writes `v` with 10 significant digits, exactly as printf's "%.10g" does, to `out` and returns
/// the end. Whole numbers below 2^53 (most FLOP and byte counts) take an integer-only path,
/// several times faster than a conversion with a precision; other values use std::to_chars.
char* WriteSig10(double v, char* out);

}  // namespace slmroof::number
