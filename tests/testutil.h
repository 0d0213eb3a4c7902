#pragma once
// Shared by every test: a UsageError check on the text users see.
#include "core/errors.h"

#include <QtTest>
#include <string>

namespace ol::testutil {

// `f` must throw UsageError whose text, as the CLI shows it (`name` → --name), contains `text`.
template <class F> void expectUsageError(F&& f, const std::string& text) {
    try {
        f();
        QFAIL("expected UsageError");
    } catch (const UsageError& e) {
        const auto shown = renderParameters(e.what(), ParameterStyle::Flag);
        QVERIFY2(shown.find(text) != std::string::npos, shown.c_str());
    }
}

} // namespace ol::testutil
