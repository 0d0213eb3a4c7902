#include "core/eval/csvparser.h"

#include "core/errors.h"

namespace ol {

namespace {

class CsvParser {
public:
    CsvParser(std::string_view text, const std::string& source) : m_text(text), m_source(source) {
        if (m_text.substr(0, 3) == "\xEF\xBB\xBF") m_pos = 3;
    }

    std::vector<CsvRecord> records() {
        std::vector<CsvRecord> out;
        while (m_pos < m_text.size()) {
            if (atLineEnd()) { // blank line
                skipLineEnd();
                continue;
            }
            out.push_back(record());
        }
        return out;
    }

private:
    bool atLineEnd() const { return m_text[m_pos] == '\n' || m_text[m_pos] == '\r'; }

    void skipLineEnd() {
        if (m_text[m_pos] == '\r' && m_pos + 1 < m_text.size() && m_text[m_pos + 1] == '\n') ++m_pos;
        ++m_pos;
        ++m_line;
    }

    [[noreturn]] void fail(std::int64_t line, const std::string& what) const {
        throw FormatError(m_source + " line " + std::to_string(line) + ": " + what);
    }

    CsvRecord record() {
        CsvRecord r;
        r.line = m_line;
        for (;;) {
            r.fields.push_back(m_text[m_pos] == '"' ? quotedField() : plainField());
            if (m_pos >= m_text.size()) return r;
            if (m_text[m_pos] == ',') {
                ++m_pos;
                if (m_pos >= m_text.size() || atLineEnd())
                    r.fields.emplace_back(); // a trailing empty field
                else
                    continue;
            }
            if (m_pos < m_text.size()) skipLineEnd();
            return r;
        }
    }

    std::string plainField() {
        const auto begin = m_pos;
        while (m_pos < m_text.size() && m_text[m_pos] != ',' && !atLineEnd()) ++m_pos;
        return std::string(m_text.substr(begin, m_pos - begin));
    }

    std::string quotedField() {
        const auto opened = m_line;
        ++m_pos; // the opening quote
        std::string field;
        for (;;) {
            if (m_pos >= m_text.size()) fail(opened, "unterminated quoted field (the quote opened here is never closed)");
            const char c = m_text[m_pos++];
            if (c == '"') {
                if (m_pos < m_text.size() && m_text[m_pos] == '"') { // a doubled quote is one quote
                    field += '"';
                    ++m_pos;
                    continue;
                }
                break;
            }
            // Line breaks inside quotes are part of the field; they still advance the line count for messages.
            if (c == '\n' || (c == '\r' && (m_pos >= m_text.size() || m_text[m_pos] != '\n'))) ++m_line;
            field += c;
        }
        if (m_pos < m_text.size() && m_text[m_pos] != ',' && !atLineEnd())
            fail(m_line, "text after the closing quote of a field (a quote inside a quoted field must be doubled)");
        return field;
    }

    std::string_view m_text;
    const std::string& m_source;
    std::size_t m_pos = 0;
    std::int64_t m_line = 1;
};

} // namespace

std::vector<CsvRecord> parseCsv(std::string_view text, const std::string& source) { return CsvParser(text, source).records(); }

} // namespace ol
