#pragma once
// The HDF5 C library as H5File uses it (internal to core/io, not installed): the
// process-wide lock held around every call, identifiers that close themselves,
// failures turned into exceptions that name the file and object, type and
// dataspace builders, and readers of string and number values.
#include "core/errors.h"

#include <hdf5.h>

#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ol::h5 {

// Held around every HDF5 call: Debian's libhdf5 is not thread-safe, and the
// wrapper is used from worker threads. Recursive because handles close (and
// lock) while a public method already holds it.
class H5Lock {
public:
    H5Lock();

private:
    std::lock_guard<std::recursive_mutex> m_guard;
};

// Failures while writing are RuntimeFailure; while reading the file is to
// blame, so FormatError.
enum class Side { Read, Write };

[[noreturn]] void fail(Side side, const std::string& message);

template <typename R> R need(R result, Side side, const std::string& where, const char* what) {
    if (result < 0) fail(side, where + ": " + what);
    return result;
}

using CloseFn = herr_t (*)(hid_t);

// Owns one HDF5 identifier and closes it with the function matching its kind.
class Handle {
public:
    Handle() = default;
    Handle(hid_t id, CloseFn close) : m_id(id), m_close(close) {}
    Handle(Handle&& o) noexcept : m_id(std::exchange(o.m_id, H5I_INVALID_HID)), m_close(o.m_close) {}
    Handle& operator=(Handle&& o) noexcept {
        if (this != &o) {
            reset();
            m_id = std::exchange(o.m_id, H5I_INVALID_HID);
            m_close = o.m_close;
        }
        return *this;
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() { reset(); }

    hid_t get() const { return m_id; }
    // Closes now and reports the status (only the file's close is checked).
    herr_t close() {
        herr_t status = 0;
        if (m_id >= 0) {
            H5Lock lock;
            status = m_close(m_id);
            m_id = H5I_INVALID_HID;
        }
        return status;
    }
    void reset() { close(); }

private:
    hid_t m_id = H5I_INVALID_HID;
    CloseFn m_close = nullptr;
};

Handle make(hid_t id, CloseFn close, Side side, const std::string& where, const char* what);

std::vector<std::string> components(const std::string& path);

std::string joinPath(const std::vector<std::string>& parts, std::size_t count);

std::string normalize(const std::string& path);

std::string quoted(const std::string& name);

const char* className(H5T_class_t c);

// IEEE 754 half precision, built from a 4-byte float of the wanted byte
// order: sign bit 15, 5 exponent bits at 10, 10 mantissa bits, bias 15. This
// is the layout h5py uses for numpy.float16. Fields first: shrinking the size
// checks that they fit.
Handle halfType(hid_t base, Side side, const std::string& where);

Handle utf8StringType(Side side, const std::string& where);

Handle scalarSpace(Side side, const std::string& where);

Handle simpleSpace(const std::vector<hsize_t>& dims, Side side, const std::string& where);

// Number of elements in an attribute's or dataset's dataspace (0 for a null
// dataspace).
std::size_t pointCount(hid_t space, const std::string& where);

// One string out of a dataset or attribute of type `fileType`; `read` does the
// H5Dread/H5Aread into a buffer of the given memory type.
std::string readStringValue(hid_t fileType, hid_t space, const std::function<herr_t(hid_t, void*)>& read,
                            const std::string& where);

// The numbers of an integer (or, with allowFloat, float) attribute, converted
// by HDF5 to the memory type of T.
template <typename T> std::vector<T> readNumbers(hid_t attr, hid_t memType, bool allowFloat, const std::string& where) {
    Handle type = make(H5Aget_type(attr), H5Tclose, Side::Read, where, "unreadable attribute type");
    const H5T_class_t cls = H5Tget_class(type.get());
    if (cls != H5T_INTEGER && !(allowFloat && cls == H5T_FLOAT))
        throw FormatError(where + ": is " + className(cls) + ", not " + (allowFloat ? "a number" : "an integer"));
    Handle space = make(H5Aget_space(attr), H5Sclose, Side::Read, where, "unreadable attribute dataspace");
    std::vector<T> values(pointCount(space.get(), where));
    if (!values.empty()) need(H5Aread(attr, memType, values.data()), Side::Read, where, "cannot read the attribute");
    return values;
}

template <typename T> T single(const std::vector<T>& values, const std::string& where) {
    if (values.size() != 1) throw FormatError(where + ": holds " + std::to_string(values.size()) + " values, expected one");
    return values.front();
}

// The most specific description on HDF5's error stack (see h5support.cpp); right after the failing call.
std::string h5Detail();

} // namespace ol::h5
