#pragma once
// Pieces shared by CLI sub-commands: model flags, dtype parsing, JSON output.
#include "flags.h"

#include <c10/core/ScalarType.h>
#include <string>

namespace ol::cli {

// --model, --tokenizer, --device, --dtype
void addModelFlags(Flags& flags);
c10::ScalarType parseDtype(const std::string& text); // float32 | bfloat16 | float16
// Prints a JSON document to stdout (one line per object, for piping into jq).
void printJson(const std::string& json);

} // namespace ol::cli
