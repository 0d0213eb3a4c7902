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

} // namespace ol
