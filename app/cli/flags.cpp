#include "flags.h"

#include "core/errors.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ol::cli {

Flags::Flags(std::string command, std::string summary) : m_command(std::move(command)), m_summary(std::move(summary)) {
    add("help", Kind::Switch, "print this help");
}

Flags& Flags::add(const std::string& name, Kind kind, const std::string& help, const std::string& fallback) {
    m_order.push_back(name);
    m_specs[name] = Spec{kind, help, fallback};
    return *this;
}

Flags& Flags::range(std::int64_t min, std::int64_t max) {
    Spec& s = m_specs.at(m_order.back());
    if (s.kind != Kind::Int) throw UsageError("internal: --" + m_order.back() + " is not an integer flag");
    s.min = min;
    s.max = max;
    return *this;
}

const Flags::Spec& Flags::spec(const std::string& name) const {
    auto it = m_specs.find(name);
    if (it == m_specs.end()) throw UsageError("internal: flag --" + name + " was never declared");
    return it->second;
}

bool Flags::parse(const std::vector<std::string>& args) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.rfind("--", 0) != 0 || a.size() == 2) {
            if (m_positionalUsage.empty()) throw UsageError("unexpected argument '" + a + "'");
            m_positional.push_back(a);
            continue;
        }
        std::string name = a.substr(2), value;
        bool inlineValue = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            inlineValue = true;
        }
        // Accept the reference projects' dashed spellings too (--act-scales, --num-samples).
        for (auto& ch : name)
            if (ch == '-') ch = '_';
        auto it = m_specs.find(name);
        if (it == m_specs.end()) throw UsageError("unknown flag --" + name + " (see '" + m_command + " --help')");
        if (it->second.kind == Kind::Switch) {
            if (inlineValue && value != "true" && value != "false" && value != "1" && value != "0")
                throw UsageError("--" + name + " is a switch and takes no value");
            m_values[name].push_back(inlineValue ? value : "true");
            continue;
        }
        if (!inlineValue) {
            if (i + 1 >= args.size()) throw UsageError("--" + name + " needs a value");
            value = args[++i];
        }
        m_values[name].push_back(value);
        if (it->second.kind == Kind::Int) (void)this->integer(name);
        if (it->second.kind == Kind::Double) (void)this->real(name);
    }
    if (on("help")) {
        std::fputs(help().c_str(), stdout);
        return false;
    }
    return true;
}

bool Flags::given(const std::string& name) const {
    spec(name);
    return m_values.count(name) > 0;
}

std::string Flags::str(const std::string& name) const {
    const Spec& s = spec(name);
    auto it = m_values.find(name);
    return it == m_values.end() ? s.fallback : it->second.back();
}

std::int64_t Flags::integer(const std::string& name) const {
    const Spec& s = spec(name);
    const std::string v = str(name);
    if (v.empty()) throw UsageError("--" + name + " needs an integer value");
    char* end = nullptr;
    errno = 0;
    const long long n = std::strtoll(v.c_str(), &end, 10);
    if (*end != '\0' || std::isspace(static_cast<unsigned char>(v[0])))
        throw UsageError("--" + name + ": '" + v + "' is not an integer");
    // strtoll saturates silently; a seed of -1 must not become 2^64 - 1 either.
    if (errno == ERANGE || n < s.min || n > s.max)
        throw UsageError("--" + name + " " + v + " is out of range (" + std::to_string(s.min) + " to " + std::to_string(s.max) +
                         ")");
    return n;
}

double Flags::real(const std::string& name) const {
    const std::string v = str(name);
    if (v.empty()) throw UsageError("--" + name + " needs a number");
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (*end != '\0' || std::isspace(static_cast<unsigned char>(v[0])))
        throw UsageError("--" + name + ": '" + v + "' is not a number");
    if (!std::isfinite(d)) throw UsageError("--" + name + " " + v + " is not a finite number");
    return d;
}

std::vector<std::string> Flags::all(const std::string& name) const {
    spec(name);
    auto it = m_values.find(name);
    return it == m_values.end() ? std::vector<std::string>{} : it->second;
}

bool Flags::on(const std::string& name) const {
    const std::string v = str(name);
    return v == "true" || v == "1";
}

std::string Flags::help() const {
    std::string out = "usage: outlierlab-cli " + m_command + " [flags]" +
                      (m_positionalUsage.empty() ? "" : " " + m_positionalUsage) + "\n" + m_summary + "\n\nflags:\n";
    for (const auto& name : m_order) {
        const Spec& s = m_specs.at(name);
        std::string left = "  --" + name;
        if (s.kind == Kind::Int) left += " N";
        if (s.kind == Kind::Double) left += " X";
        if (s.kind == Kind::String) left += " VALUE";
        if (left.size() < 28)
            left.resize(28, ' ');
        else
            left += "\n" + std::string(28, ' ');
        out += left + renderParameters(s.help, ParameterStyle::Flag) +
               (s.fallback.empty() || s.kind == Kind::Switch ? "" : " (default " + s.fallback + ")") + "\n";
    }
    return out;
}

} // namespace ol::cli
