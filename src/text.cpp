#include "slmroof/text.hpp"

#include <fmt/format.h>

namespace slmroof {

namespace {

// Length of the valid UTF-8 sequence starting at `s[i]`, or 0 when it is not one (overlong
// forms, surrogates and code points above U+10FFFF are invalid, as RFC 3629 says).
size_t Utf8Length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) {
    return 1;
  }
  size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    lo = c == 0xE0 ? 0xA0 : 0x80;
    hi = c == 0xED ? 0x9F : 0xBF;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    lo = c == 0xF0 ? 0x90 : 0x80;
    hi = c == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (i + n > s.size()) {
    return 0;
  }
  if (byte(i + 1) < lo || byte(i + 1) > hi) {
    return 0;
  }
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) {
      return 0;
    }
  }
  return n;
}

// Appends the printable form of the character at `s[i]` and returns how many bytes it used.
size_t AppendPrintable(std::string_view s, size_t i, std::string* out) {
  const size_t n = Utf8Length(s, i);
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (n == 0) {
    *out += fmt::format("\\x{:02X}", c);
    return 1;
  }
  if (n == 1 && (c < 0x20 || c == 0x7F)) {
    *out += c == '\n' ? std::string("\\n") : c == '\t' ? std::string("\\t") : fmt::format("\\x{:02X}", c);
    return 1;
  }
  out->append(s.substr(i, n));
  return n;
}

}  // namespace

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8Length(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string Excerpt(std::string_view text, size_t max_chars) {
  std::string out = "'";
  size_t i = 0;
  // Escapes (\xNN) count by what they print, so an excerpt of binary bytes stays as short.
  for (size_t chars = 0; i < text.size() && chars < max_chars;) {
    const size_t before = out.size();
    i += AppendPrintable(text, i, &out);
    const size_t printed = out.size() - before;
    chars += printed > 1 && out[before] == '\\' ? printed : 1;
  }
  out += "'";
  if (i < text.size()) {
    out += fmt::format("... ({} bytes)", text.size());
  }
  return out;
}

std::string OneLine(std::string_view text, size_t max_bytes) {
  std::string out;
  size_t i = 0;
  while (i < text.size() && out.size() < max_bytes) {
    i += AppendPrintable(text, i, &out);
  }
  if (i < text.size()) {
    out += fmt::format("... ({} bytes in all)", text.size());
  }
  return out;
}

}  // namespace slmroof
