#pragma once
// RFC 4180 CSV: comma-separated fields, a field in double quotes may hold commas, line breaks and doubled quotes
// (""), records end at LF, CRLF or a lone CR. Lenient where pandas' reader (which the reference MMLU scripts use)
// is lenient: a quote inside an unquoted field is kept as text, blank lines are skipped, a UTF-8 byte order mark
// at the start is dropped. Fields are kept byte for byte (no trimming), since prompts are compared byte for byte.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ol {

struct CsvRecord {
    std::vector<std::string> fields;
    std::int64_t line = 0; // 1-based line on which the record starts (a quoted line break makes records span lines)
};

// `source` names the text in errors. Throws FormatError "SOURCE line N: ..." for an unterminated quoted field
// (N: where it opened) or text between a closing quote and the next separator.
std::vector<CsvRecord> parseCsv(std::string_view text, const std::string& source);

} // namespace ol
