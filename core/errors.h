#pragma once
// Typed exceptions thrown by core. Front ends turn them into a dialog or an
// exit code; messages always name the file, tensor or parameter at fault.
#include <stdexcept>
#include <string>

namespace ol {

// Base of every error core reports on purpose.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A file that is missing, truncated, or lies about its contents.
class FormatError : public Error {
public:
    using Error::Error;
};

// A bad flag, parameter or combination of them (exit code 2 in the CLI).
class UsageError : public Error {
public:
    using Error::Error;
};

// Something failed at run time for a reason that is not the input's shape
// (NaN in activations, a write that failed, ...).
class RuntimeFailure : public Error {
public:
    using Error::Error;
};

// The user cancelled a job; not an error to report as a failure.
class Cancelled : public Error {
public:
    Cancelled() : Error("cancelled") {}
};

// Parameters in messages and help texts: core writes a parameter as `name`, `name=false` or `name=value`
// (backticks), and each front end renders it in its own terms — the CLI as its flag (--name, --no_name,
// --name value), the GUI as the quoted name (‘name’, ‘name’ off, ‘name’ = value) — so that a GUI dialog
// never tells its user to "pass --no_qk_hadamard".
enum class ParameterStyle { Flag, Name };
std::string renderParameters(const std::string& text, ParameterStyle style);

} // namespace ol
