#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace slmroof {

/// `text` with every byte sequence that is not valid UTF-8 replaced by U+FFFD, so that JSON,
/// CSV and tables stay valid UTF-8 whatever a file name holds.
std::string ValidUtf8(std::string_view text);

/// A short, printable excerpt of a value for an error message: about `max_chars` characters
/// (an escape counts as the characters it prints), control characters and invalid UTF-8 shown
/// as \n, \t or \xNN, and "... (N bytes)" when cut.
/// The excerpt is quoted ('...').
std::string Excerpt(std::string_view text, size_t max_chars = 40);

/// One line for the terminal: `text` as valid UTF-8 with control characters escaped and at most
/// `max_bytes` long (a message built from user input never floods stderr).
std::string OneLine(std::string_view text, size_t max_bytes = 2000);

}  // namespace slmroof
