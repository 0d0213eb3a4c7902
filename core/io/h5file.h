#pragma once
// A small RAII wrapper over the HDF5 C library for OutlierLab's session files
// (docs/session-format.md). The files must stay plain HDF5 that h5py and
// h5dump read without OutlierLab, so everything is stored with standard
// types: little-endian integers and IEEE floats, variable-length UTF-8
// strings, scalar or simple dataspaces.
//
// Writing is atomic: create() and update() work on a temporary file next to
// the destination and commit() renames it into place, so an exception, a
// crash or a full disk leaves the previous file (or none) behind.
//
// Thread safety: HDF5 is often built without its thread-safe option (the
// Debian 12 package happens to have it, other builds do not), so every call
// into the library made by this class holds one process-wide recursive
// mutex. Distinct H5File objects may be used from different threads; one
// object must not be used by two threads at once.
//
// Element types (writeTensor / readTensor):
//   float32, float64, int64, int32, int16, int8, uint8: the matching HDF5
//     type, little-endian.
//   float16: a 2-byte IEEE half float (what h5py writes for numpy.float16).
//   bool: uint8 0/1 with the dataset attribute ol_dtype = "bool".
//   bfloat16: HDF5 and numpy have no bfloat16, so it is stored as float32
//     (exactly) with ol_dtype = "bfloat16"; readTensor turns it back.
// readTensor also reads files written by others: uint16 comes back as int32,
// uint32 as int64, other float sizes as float32/float64; uint64, compound,
// enum and the other classes are refused with a FormatError.
//
// Paths are absolute ("/layers/3/absmax"); a missing leading '/' means the
// same, and repeated or trailing slashes are ignored.
//
// Errors: FormatError for missing or malformed content (no such file, not
// HDF5, no such object, wrong type); RuntimeFailure when the library fails
// to write or the object is used after commit(); UsageError for arguments
// that cannot be stored (an unsupported dtype, a string with a NUL byte).
// Messages name the file, the object path and the problem.
#include <ATen/core/Tensor.h>

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ol {

class H5File {
public:
    // Opens an existing file read-only. FormatError if it is missing or not HDF5.
    static H5File openRead(const std::string& path);
    // Starts a new file; `path` is replaced on commit(). A non-empty `userBlock` (at most 512 bytes) is written
    // at the start of the file, in HDF5's user block, before the HDF5 signature (which then sits at offset 512,
    // where every HDF5 reader, h5py included, looks for it): file managers recognize the file by it.
    static H5File create(const std::string& path, const std::string& userBlock = {});
    // Copies an existing HDF5 file and edits the copy; commit() replaces the
    // original. FormatError if it is missing or not HDF5.
    static H5File update(const std::string& path);

    H5File(H5File&& other) noexcept;
    H5File& operator=(H5File&& other) noexcept;
    H5File(const H5File&) = delete;
    H5File& operator=(const H5File&) = delete;
    // Closes the file. An uncommitted create() or update() leaves the original
    // untouched and removes its temporary file.
    ~H5File();

    // Closes the file and renames it onto path(). Only for create()/update(),
    // once; the object can no longer be used afterwards.
    void commit();
    const std::string& path() const { return m_path; }

    // True if the group or dataset exists; missing intermediate groups (or an
    // intermediate that is a dataset) give false, not an error.
    bool exists(const std::string& objectPath) const;
    // Names of the members of a group, sorted byte-wise.
    std::vector<std::string> children(const std::string& groupPath) const;
    // Creates the group and its missing parents; an existing group is fine.
    void createGroup(const std::string& path);

    // Stores `t` (any device, any layout) as a dataset, creating parent
    // groups and replacing an existing dataset (with its attributes). Data
    // over 64 KiB is chunked, shuffled and deflate-compressed (level 4).
    void writeTensor(const std::string& path, const at::Tensor& t);
    // The dataset as a CPU tensor with the stored dtype and shape.
    at::Tensor readTensor(const std::string& path) const;
    // The dataset's shape; {} for a scalar.
    std::vector<std::int64_t> datasetShape(const std::string& path) const;
    // A scalar variable-length UTF-8 string dataset (h5py: str / bytes).
    void writeString(const std::string& path, const std::string& value);
    // Also reads fixed-length and ASCII string datasets.
    std::string readString(const std::string& path) const;

    // Attributes on an existing group or dataset, created or replaced (also
    // when the old one had another type). Vectors are 1-D, possibly empty.
    void setAttribute(const std::string& objectPath, const std::string& name, const std::string& value);
    void setAttribute(const std::string& objectPath, const std::string& name, std::int64_t value);
    void setAttribute(const std::string& objectPath, const std::string& name, double value);
    void setAttribute(const std::string& objectPath, const std::string& name, const std::vector<std::int64_t>& value);
    void setAttribute(const std::string& objectPath, const std::string& name, const std::vector<double>& value);
    // Any other integer type (int, size_t, ...) as int64, so that a plain
    // literal is not ambiguous between the int64 and double overloads. bool
    // is left out on purpose: say which number it should be.
    // clang-format off
    template <std::integral T>
        requires(!std::same_as<T, bool> && !std::same_as<T, std::int64_t>)
    void setAttribute(const std::string& objectPath, const std::string& name, T value) {
        setAttribute(objectPath, name, static_cast<std::int64_t>(value));
    }
    // clang-format on

    // False also when the object does not exist.
    bool hasAttribute(const std::string& objectPath, const std::string& name) const;
    std::string stringAttribute(const std::string& objectPath, const std::string& name) const;
    // A single integer (scalar or one-element array).
    std::int64_t intAttribute(const std::string& objectPath, const std::string& name) const;
    // A single float; an integer attribute is converted (h5py writes Python
    // ints as int64).
    double doubleAttribute(const std::string& objectPath, const std::string& name) const;
    std::vector<std::int64_t> intsAttribute(const std::string& objectPath, const std::string& name) const;
    std::vector<double> doublesAttribute(const std::string& objectPath, const std::string& name) const;

private:
    struct Impl;
    H5File(std::string path, std::unique_ptr<Impl> impl);
    Impl& impl() const;         // throws RuntimeFailure once closed or moved from
    Impl& writableImpl() const; // also throws for openRead()

    std::string m_path;
    std::unique_ptr<Impl> m_d;
};

} // namespace ol
