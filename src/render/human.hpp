#pragma once

// Private to the renderers: numbers for people (tables only; JSON and CSV print SI values).

#include <string>

namespace slmroof::human {

/// 3 significant digits with an SI prefix: Si(3.09e9, "B") == "3.09 GB".
std::string Si(double v, const char* unit);

/// A duration with 3 significant digits in s, ms, us or ns.
std::string Seconds(double s);

/// An operational intensity: 3 significant digits, whole numbers from 100 up.
std::string Oi(double oi);

}  // namespace slmroof::human
