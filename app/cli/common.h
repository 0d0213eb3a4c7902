#pragma once
// Pieces shared by CLI sub-commands: model flags, dtype parsing, JSON output.
#include "core/io/spilltensor.h"
#include "core/workflow/memoryestimate.h"
#include "flags.h"

#include <c10/core/ScalarType.h>
#include <string>

namespace ol::cli {

// --model, --tokenizer, --device, --dtype
void addModelFlags(Flags& flags);
// --max_memory: the budget a job's memory estimate is checked against before it starts.
void addMemoryFlag(Flags& flags);
MemoryBudget memoryBudget(const Flags& flags);
// --spill auto|always|never and --spill_dir: where calibration activations live (auto: sets larger than a
// quarter of the memory budget go to a file).
void addSpillFlags(Flags& flags);
SpillPolicy spillPolicy(const Flags& flags, const MemoryBudget& budget);
c10::ScalarType parseDtype(const std::string& text); // float32 | bfloat16 (fp32, bf16); UsageError otherwise
// A window count where -1 means all: -1 or at least 1 (0 and -7 are errors naming the flag).
std::int64_t windowLimit(const Flags& flags, const std::string& name);
// Writes `text` to `path` atomically (complete or absent); RuntimeFailure naming the file.
void writeTextFile(const std::string& path, const std::string& text);
// Prints a JSON document to stdout (one line per object, for piping into jq).
void printJson(const std::string& json);

} // namespace ol::cli
