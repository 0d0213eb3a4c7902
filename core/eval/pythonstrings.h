#pragma once
// The few Python str methods the harness's prompt templates use, with Python's results on ASCII text
// (non-ASCII characters are left as they are, which is what Python does for them except in case mapping).
#include <string>
#include <string_view>
#include <vector>

namespace ol::py {

std::string strip(std::string_view s);
std::string rstrip(std::string_view s);
std::string lstrip(std::string_view s);
// str.capitalize(): the first character upper case, the rest lower case.
std::string capitalize(std::string_view s);
// str.replace(old, new): every non-overlapping occurrence, left to right.
std::string replace(std::string_view s, std::string_view from, std::string_view to);
// str.split(sep) with an explicit separator.
std::vector<std::string> split(std::string_view s, std::string_view sep);
// Length in characters (UTF-8 code points), as Python's len() of a str.
std::size_t characters(std::string_view s);

} // namespace ol::py
