#include "slmroof/axis.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "slmroof/errors.hpp"
#include "slmroof/text.hpp"
#include "slmroof/units.hpp"

namespace slmroof {

int64_t IntAxis::at(size_t i) const {
  for (const Segment& s : segments_) {
    if (i < s.count) {
      return s.values.empty() ? s.start + static_cast<int64_t>(i) * s.step : s.values[i];
    }
    i -= s.count;
  }
  return 0;  // out of range: callers index below size()
}

int64_t IntAxis::max() const {
  int64_t best = 0;
  bool any = false;
  auto consider = [&](int64_t v) {
    best = any ? std::max(best, v) : v;
    any = true;
  };
  for (const Segment& s : segments_) {
    if (!s.values.empty()) {
      for (int64_t v : s.values) {
        consider(v);
      }
    } else if (s.count > 0) {
      // An arithmetic run is largest at one of its ends.
      consider(s.start);
      consider(s.start + static_cast<int64_t>(s.count - 1) * s.step);
    }
  }
  return best;
}

void IntAxis::Append(Segment s) {
  size_ += s.count;
  // Listed values share one segment, so at() stays fast however long the list is.
  if (!s.values.empty() && !segments_.empty() && !segments_.back().values.empty()) {
    Segment& last = segments_.back();
    last.values.insert(last.values.end(), s.values.begin(), s.values.end());
    last.count = last.values.size();
    return;
  }
  segments_.push_back(std::move(s));
}

namespace {

// An integer with an optional '+'; with `suffixes`, a trailing k/K (x 1024) or m/M (x 1024^2).
bool ParseInt(std::string_view text, int64_t* out, bool suffixes = false) {
  int64_t scale = 1;
  if (suffixes && !text.empty()) {
    const char last = text.back();
    if (last == 'k' || last == 'K') {
      scale = 1024;
    } else if (last == 'm' || last == 'M') {
      scale = 1024 * 1024;
    }
    if (scale != 1) {
      text.remove_suffix(1);
    }
  }
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && text.front() == '-') {
      return false;  // "+-2"
    }
  }
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return false;
  }
  if (*out > INT64_MAX / scale || *out < INT64_MIN / scale) {
    return false;  // "9223372036854775807k" does not fit
  }
  *out *= scale;
  return true;
}

}  // namespace

IntAxis ParseIntAxis(std::string_view text, std::string_view what, int64_t min, int64_t max,
                     bool token_suffixes) {
  IntAxis axis;
  auto check = [&](int64_t v, std::string_view item) {
    if (v < min || v > max) {
      throw UsageError(fmt::format("{}: {} in {} is outside [{}, {}]", what, v, Excerpt(item), min, max));
    }
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string_view item = Trim(text.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) {
      throw UsageError(fmt::format("{}: empty value in {}", what, Excerpt(text)));
    }
    std::vector<std::string_view> parts;
    for (size_t p = 0;;) {
      const size_t colon = item.find(':', p);
      parts.push_back(Trim(item.substr(p, colon == std::string_view::npos ? colon : colon - p)));
      if (colon == std::string_view::npos) {
        break;
      }
      p = colon + 1;
    }
    if (parts.size() > 3) {
      throw UsageError(fmt::format("{}: {} is not a value or START:STOP[:STEP]", what, Excerpt(item)));
    }
    int64_t start = 0;
    if (!ParseInt(parts[0], &start, token_suffixes)) {
      throw UsageError(fmt::format("{}: {} is not an integer (in {})", what, Excerpt(parts[0]), Excerpt(item)));
    }
    if (parts.size() == 1) {
      check(start, item);
      axis.Append({start, 0, 1, {start}});
      continue;
    }
    int64_t stop = 0;
    if (!ParseInt(parts[1], &stop, token_suffixes)) {
      throw UsageError(fmt::format("{}: {} is not an integer (in {})", what, Excerpt(parts[1]), Excerpt(item)));
    }
    const std::string_view step_text = parts.size() == 3 ? parts[2] : std::string_view("+1");
    const bool geometric = !step_text.empty() && (step_text[0] == 'x' || step_text[0] == '/');
    int64_t step = 0;
    if (!ParseInt(geometric ? step_text.substr(1) : step_text, &step, token_suffixes && !geometric) ||
        (geometric && step_text.size() > 1 && step_text[1] == '+')) {
      throw UsageError(
          fmt::format("{}: step {} in {} is not +K, -K, xK or /K with an integer K", what,
                      Excerpt(step_text), Excerpt(item)));
    }
    if (step == 0) {
      throw UsageError(fmt::format("{}: step 0 in {} never reaches {}", what, Excerpt(item), stop));
    }
    check(start, item);
    check(stop, item);
    const bool down = geometric ? step_text[0] == '/' : step < 0;
    if (geometric && start <= 0) {
      throw UsageError(
          fmt::format("{}: a geometric range such as {} must start above 0", what, Excerpt(item)));
    }
    if (geometric && step < 2) {
      throw UsageError(fmt::format("{}: factor {} in {} must be at least 2", what, step, Excerpt(item)));
    }
    if (start != stop && (stop < start) != down) {
      throw UsageError(
          fmt::format("{}: {} goes {} from {} to {} but its step {} goes {}; use {}", what, Excerpt(item),
                      stop < start ? "down" : "up", start, stop, step_text, down ? "down" : "up",
                      stop < start ? "a negative step (-K) or /K" : "a positive step (+K) or xK"));
    }
    if (!geometric) {
      // In uint64: the difference of two int64 values always fits there.
      const uint64_t span = stop >= start
                                ? static_cast<uint64_t>(stop) - static_cast<uint64_t>(start)
                                : static_cast<uint64_t>(start) - static_cast<uint64_t>(stop);
      const uint64_t magnitude =
          step > 0 ? static_cast<uint64_t>(step) : 0 - static_cast<uint64_t>(step);
      axis.Append({start, step, static_cast<size_t>(span / magnitude + 1), {}});
      continue;
    }
    IntAxis::Segment s;
    for (int64_t v = start; down ? v >= stop : v <= stop;) {
      s.values.push_back(v);
      if (down) {
        v /= step;  // integer division: 100:1:/3 gives 100, 33, 11, 3, 1
      } else {
        if (v > stop / step) {
          break;
        }
        v *= step;
      }
      if (v == 0) {
        break;
      }
    }
    s.count = s.values.size();
    axis.Append(std::move(s));
  }
  return axis;
}

int64_t ParseTokenCount(std::string_view text, std::string_view what, int64_t min, int64_t max) {
  int64_t v = 0;
  const std::string_view trimmed = Trim(text);
  if (!ParseInt(trimmed, &v, true)) {
    throw UsageError(fmt::format("{}: {} is not a token count (examples: 4096, 4k = 4096, 1M)",
                                 what, Excerpt(text)));
  }
  if (v < min || v > max) {
    throw UsageError(fmt::format("{}: {} is outside [{}, {}]", what, Excerpt(text), min, max));
  }
  return v;
}

}  // namespace slmroof
