#pragma once
// A small flag parser: --name value, --name=value, boolean switches and
// positional arguments. Unknown flags and bad values are UsageErrors that
// name the flag.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ol::cli {

class Flags {
public:
    enum class Kind { String, Int, Double, Switch };

    Flags(std::string command, std::string summary);
    Flags& add(const std::string& name, Kind kind, const std::string& help, const std::string& fallback = {});
    // Bounds of the Int flag added last. Without them an Int flag takes what
    // fits an int (the type most values end up in); anything else, and a
    // number that does not fit 64 bits, is a UsageError naming the flag.
    Flags& range(std::int64_t min, std::int64_t max);
    // Returns false when --help was given (help() has been printed to stdout).
    bool parse(const std::vector<std::string>& args);

    bool given(const std::string& name) const;
    std::string str(const std::string& name) const;
    std::int64_t integer(const std::string& name) const;
    double real(const std::string& name) const;
    bool on(const std::string& name) const;
    // Every value of a flag given more than once (--massive A --massive B), in order.
    std::vector<std::string> all(const std::string& name) const;
    const std::vector<std::string>& positional() const { return m_positional; }
    std::string help() const;
    // Allows positional arguments (otherwise they are rejected).
    Flags& allowPositional(const std::string& usage) {
        m_positionalUsage = usage;
        return *this;
    }

private:
    struct Spec {
        Kind kind;
        std::string help, fallback;
        std::int64_t min = INT32_MIN, max = INT32_MAX;
    };
    const Spec& spec(const std::string& name) const;

    std::string m_command, m_summary, m_positionalUsage;
    std::vector<std::string> m_order;
    std::map<std::string, Spec> m_specs;
    std::map<std::string, std::vector<std::string>> m_values;
    std::vector<std::string> m_positional;
};

} // namespace ol::cli
