#include "core/errors.h"

#include <regex>

namespace ol {

std::string renderParameters(const std::string& text, ParameterStyle style) {
    static const std::regex parameter("`([a-z][a-z0-9_]*)(=([^`]*))?`");
    std::string out;
    auto last = text.cbegin();
    for (std::sregex_iterator it(text.begin(), text.end(), parameter), end; it != end; ++it) {
        const auto& m = *it;
        out.append(last, m[0].first);
        const std::string name = m[1], value = m[3];
        const bool hasValue = m[2].matched;
        if (style == ParameterStyle::Flag) {
            if (hasValue && value == "false")
                out += "--no_" + name;
            else
                out += "--" + name + (hasValue && value != "true" ? " " + value : "");
        } else {
            out += "‘" + name + "’";
            if (hasValue) out += value == "false" ? " off" : value == "true" ? " on" : " = " + value;
        }
        last = m[0].second;
    }
    out.append(last, text.cend());
    return out;
}

} // namespace ol
