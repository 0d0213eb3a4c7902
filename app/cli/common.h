#pragma once
// Pieces shared by CLI sub-commands: model flags, dtype parsing, JSON output.
#include "flags.h"

#include <c10/core/ScalarType.h>
#include <string>

namespace ol::cli {

// --model, --tokenizer, --device, --dtype
void addModelFlags(Flags& flags);
c10::ScalarType parseDtype(const std::string& text); // float32 | bfloat16 (fp32, bf16); UsageError otherwise
// A window count where -1 means all: -1 or at least 1 (0 and -7 are errors naming the flag).
std::int64_t windowLimit(const Flags& flags, const std::string& name);
// Prints a JSON document to stdout (one line per object, for piping into jq).
void printJson(const std::string& json);

} // namespace ol::cli
