#include "core/faultpoint.h"

#include "core/errors.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ol {

namespace {

struct Target {
    std::string point;
    long remaining = 0; // hits left before the signal; 0: no target
};

Target parseTarget(const char* variable) {
    Target t;
    const char* env = std::getenv(variable); // NOLINT(concurrency-mt-unsafe): nothing sets the environment after start-up
    if (!env || !*env) return t;
    const std::string spec(env);
    const auto colon = spec.find(':');
    t.point = spec.substr(0, colon);
    t.remaining = colon == std::string::npos ? 1 : std::max(1L, std::strtol(spec.c_str() + colon + 1, nullptr, 10));
    return t;
}

bool reached(Target& t, const char* point) { return t.remaining > 0 && t.point == point && --t.remaining == 0; }

} // namespace

void faultPoint(const char* point) {
    static Target kill = parseTarget("OUTLIERLAB_KILL_AT"), stop = parseTarget("OUTLIERLAB_STOP_AT"),
                  fail = parseTarget("OUTLIERLAB_FAIL_AT");
    if (reached(kill, point)) std::raise(SIGKILL);
    if (reached(stop, point)) std::raise(SIGSTOP);
    if (reached(fail, point)) throw RuntimeFailure(std::string("fault injected at ") + point + " (OUTLIERLAB_FAIL_AT)");
}

} // namespace ol
