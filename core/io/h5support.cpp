#include "core/io/h5support.h"

#include <algorithm>

namespace ol::h5 {

namespace {

std::recursive_mutex& h5Mutex() {
    static std::recursive_mutex mutex;
    return mutex;
}

// HDF5 1.10 (Debian 12) has a bug when H5Fclose fails, e.g. on a full disk
// (HDFFV-11052, fixed in 1.14.1): the file struct is freed but its ID stays
// in the ID table, and the library's atexit handler (H5_term_library) closes
// that ID a second time and crashes the process after our error message.
// The wrapper closes every file itself (RAII, commit()), so the handler has
// nothing left to do for us; H5dont_atexit() must come before any other
// HDF5 call to take effect.
void skipLibraryTerminationAtExit() {
    static const bool done = [] {
        H5dont_atexit();
        return true;
    }();
    (void)done;
}

} // namespace

H5Lock::H5Lock() : m_guard((skipLibraryTerminationAtExit(), h5Mutex())) {
    // HDF5 prints its error stack to stderr by default; failures become
    // exceptions instead. Per thread because thread-safe builds keep the
    // setting per thread (for the serial build once would do).
    thread_local bool silenced = false;
    if (!silenced) {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        silenced = true;
    }
}

// The most specific description on HDF5's error stack ("file signature not
// found", ...). Must run right after the failing call: the next API call
// clears the stack.
// A failed write's description holds the time, the buffer address and the
// system error; only the system error ("No space left on device") is kept.
std::string h5Detail() {
    std::string detail;
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_UPWARD,
        [](unsigned n, const H5E_error2_t* err, void* data) -> herr_t {
            if (n == 0 && err->desc && *err->desc) *static_cast<std::string*>(data) = err->desc;
            return 0;
        },
        &detail);
    const std::string marker = "error message = '";
    if (const auto at = detail.find(marker); at != std::string::npos) {
        const auto begin = at + marker.size();
        const auto end = detail.find('\'', begin);
        if (end != std::string::npos) detail = detail.substr(begin, end - begin);
    }
    std::replace(detail.begin(), detail.end(), '\n', ' ');
    return detail;
}

void fail(Side side, const std::string& message) {
    const std::string detail = h5Detail();
    const std::string full = detail.empty() ? message : message + " (" + detail + ")";
    if (side == Side::Write) throw RuntimeFailure(full);
    throw FormatError(full);
}

Handle make(hid_t id, CloseFn close, Side side, const std::string& where, const char* what) {
    return Handle(need(id, side, where, what), close);
}

std::vector<std::string> components(const std::string& path) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < path.size()) {
        const std::size_t j = std::min(path.find('/', i), path.size());
        if (j > i) out.push_back(path.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

std::string joinPath(const std::vector<std::string>& parts, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) out += "/" + parts[i];
    return out.empty() ? "/" : out;
}

std::string normalize(const std::string& path) {
    const auto parts = components(path);
    return joinPath(parts, parts.size());
}

std::string quoted(const std::string& name) { return "'" + name + "'"; }

const char* className(H5T_class_t c) {
    switch (c) {
    case H5T_INTEGER: return "an integer";
    case H5T_FLOAT: return "a float";
    case H5T_STRING: return "a string";
    case H5T_COMPOUND: return "a compound";
    case H5T_ENUM: return "an enum";
    case H5T_ARRAY: return "an array type";
    case H5T_VLEN: return "a variable-length sequence";
    case H5T_BITFIELD: return "a bitfield";
    case H5T_OPAQUE: return "an opaque type";
    case H5T_REFERENCE: return "a reference";
    default: return "an unknown type";
    }
}

// IEEE 754 half precision, built from a 4-byte float of the wanted byte
// order: sign bit 15, 5 exponent bits at 10, 10 mantissa bits, bias 15. This
// is the layout h5py uses for numpy.float16. Fields first: shrinking the size
// checks that they fit.
Handle halfType(hid_t base, Side side, const std::string& where) {
    Handle t = make(H5Tcopy(base), H5Tclose, side, where, "cannot copy a float type");
    need(H5Tset_fields(t.get(), 15, 10, 5, 0, 10), side, where, "cannot define the float16 type");
    need(H5Tset_size(t.get(), 2), side, where, "cannot define the float16 type");
    need(H5Tset_ebias(t.get(), 15), side, where, "cannot define the float16 type");
    return t;
}

Handle utf8StringType(Side side, const std::string& where) {
    Handle t = make(H5Tcopy(H5T_C_S1), H5Tclose, side, where, "cannot create a string type");
    need(H5Tset_size(t.get(), H5T_VARIABLE), side, where, "cannot create a string type");
    need(H5Tset_cset(t.get(), H5T_CSET_UTF8), side, where, "cannot create a string type");
    return t;
}

Handle scalarSpace(Side side, const std::string& where) {
    return make(H5Screate(H5S_SCALAR), H5Sclose, side, where, "cannot create a dataspace");
}

Handle simpleSpace(const std::vector<hsize_t>& dims, Side side, const std::string& where) {
    return make(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose, side, where,
                "cannot create a dataspace");
}

// Number of elements in an attribute's or dataset's dataspace (0 for a null
// dataspace).
std::size_t pointCount(hid_t space, const std::string& where) {
    return static_cast<std::size_t>(need(H5Sget_simple_extent_npoints(space), Side::Read, where, "unreadable dataspace"));
}

// One string out of a dataset or attribute of type `fileType`; `read` does the
// H5Dread/H5Aread into a buffer of the given memory type.
std::string readStringValue(hid_t fileType, hid_t space, const std::function<herr_t(hid_t, void*)>& read,
                            const std::string& where) {
    const H5T_class_t cls = H5Tget_class(fileType);
    if (cls != H5T_STRING) throw FormatError(where + ": is " + className(cls) + ", not a string");
    const std::size_t n = pointCount(space, where);
    if (n != 1) throw FormatError(where + ": holds " + std::to_string(n) + " strings, expected one");

    if (need(H5Tis_variable_str(fileType), Side::Read, where, "unreadable string type") > 0) {
        // Same character set as stored: HDF5 refuses to convert ASCII <-> UTF-8.
        Handle mem = make(H5Tcopy(H5T_C_S1), H5Tclose, Side::Read, where, "cannot create a string type");
        need(H5Tset_size(mem.get(), H5T_VARIABLE), Side::Read, where, "cannot create a string type");
        need(H5Tset_cset(mem.get(), H5Tget_cset(fileType)), Side::Read, where, "cannot create a string type");
        char* text = nullptr;
        need(read(mem.get(), &text), Side::Read, where, "cannot read the string");
        std::string value = text ? text : "";
        H5Dvlen_reclaim(mem.get(), space, H5P_DEFAULT, &text);
        return value;
    }

    // Fixed-length (h5py writes numpy.bytes_ this way): trim the padding.
    const std::size_t size = H5Tget_size(fileType);
    Handle mem = make(H5Tcopy(fileType), H5Tclose, Side::Read, where, "cannot copy the string type");
    std::string buf(size, '\0');
    need(read(mem.get(), buf.data()), Side::Read, where, "cannot read the string");
    if (H5Tget_strpad(fileType) == H5T_STR_SPACEPAD) {
        const auto end = buf.find_last_not_of(' ');
        buf.resize(end == std::string::npos ? 0 : end + 1);
    } else {
        buf.resize(std::min(buf.find('\0'), buf.size()));
    }
    return buf;
}

} // namespace ol::h5
