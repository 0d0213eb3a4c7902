#pragma once
// The safetensors checkpoint format (https://github.com/huggingface/safetensors):
// an 8-byte little-endian header length N, N bytes of JSON describing every
// tensor (dtype, shape, [begin, end) offsets into the data buffer), then the
// data buffer itself. Reading maps the file, so listing a 140 GB checkpoint
// touches only its header; writing streams one tensor at a time.
#include "core/io/atomicfile.h"
#include "core/io/dtype.h"

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ol {

class MappedFile;

struct TensorEntry {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    // Byte range [begin, end) relative to the start of the data buffer.
    std::uint64_t begin = 0, end = 0;

    int64_t numel() const; // 1 for a 0-dim scalar, 0 when any dim is 0
};

// Maps the file and validates the whole header in the constructor, so every
// later call can trust the entries. Not copyable (it owns the mapping).
class SafetensorsReader {
public:
    // Throws FormatError naming the file (and the tensor) for anything the
    // format forbids: truncation, bad JSON, bad entries, overlaps, holes.
    explicit SafetensorsReader(const std::string& path);
    ~SafetensorsReader();
    SafetensorsReader(const SafetensorsReader&) = delete;
    SafetensorsReader& operator=(const SafetensorsReader&) = delete;

    const std::string& path() const { return m_path; }
    const std::vector<TensorEntry>& entries() const { return m_entries; } // sorted by begin offset
    const TensorEntry* find(std::string_view name) const;                 // nullptr when absent
    const std::map<std::string, std::string>& metadata() const { return m_metadata; }

    // The stored bytes of one tensor, pointing into the mapping (valid while
    // the reader lives).
    std::span<const std::byte> rawBytes(const TensorEntry& entry) const;

    // A CPU tensor of the stored dtype that owns a copy of the bytes. Throws
    // FormatError naming the file and tensor when it is absent or its dtype
    // has no LibTorch equivalent.
    at::Tensor load(std::string_view name) const;
    at::Tensor load(const TensorEntry& entry) const;
    // A CPU tensor of the stored dtype viewing the mapping, without a copy:
    // read it (convert, gather rows), never write it (the pages are read-only).
    // Valid while the reader lives.
    at::Tensor view(const TensorEntry& entry) const;
    // Drops the resident pages of a tensor's bytes (see MappedFile::release).
    void release(const TensorEntry& entry) const;

private:
    // The LibTorch dtype of an entry; FormatError naming the file and tensor when there is none.
    c10::ScalarType scalarTypeOf(const TensorEntry& entry) const;

    // Heterogeneous lookup, so find(string_view) allocates nothing.
    struct NameHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };

    std::string m_path;
    std::unique_ptr<MappedFile> m_file;
    const std::byte* m_data = nullptr; // start of the data buffer
    std::uint64_t m_dataSize = 0;
    std::vector<TensorEntry> m_entries;
    std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>> m_index;
    std::map<std::string, std::string> m_metadata;
};

// Streams a safetensors file: every tensor is declared first (so the header
// and all offsets are known), then each is written straight to its place in
// the file, in any order, and dropped. Nothing but the header is held in
// memory. The file appears at `path` only on commit(); a writer destroyed
// before that leaves nothing behind.
class SafetensorsWriter {
public:
    explicit SafetensorsWriter(std::string path, std::map<std::string, std::string> metadata = {});
    ~SafetensorsWriter();
    SafetensorsWriter(const SafetensorsWriter&) = delete;
    SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;

    // All declarations come before the first write. UsageError for a
    // duplicate or reserved name, a negative dim, or a declare after write().
    void declare(const std::string& name, DType dtype, std::vector<int64_t> shape);
    // Each declared tensor exactly once, in any order. UsageError when the
    // tensor's dtype or shape differs from its declaration. The tensor is
    // moved to the CPU and made contiguous. RuntimeFailure on a write error.
    void write(const std::string& name, const at::Tensor& tensor);
    // UsageError unless every declared tensor was written; RuntimeFailure
    // naming the path when the data cannot be flushed or moved into place.
    void commit();

    const std::string& path() const { return m_path; }

private:
    struct Slot {
        TensorEntry entry;
        bool written = false;
    };

    void writeHeader();
    void writeAt(std::uint64_t offset, const std::byte* data, std::size_t size, const std::string& what);
    void closeFile();

    std::string m_path;
    std::map<std::string, std::string> m_metadata;
    AtomicFile m_file;
    int m_fd = -1;
    std::vector<Slot> m_slots; // declaration order = layout order
    std::unordered_map<std::string, std::size_t> m_index;
    std::uint64_t m_dataEnd = 0;   // bytes of data buffer declared so far
    std::uint64_t m_dataStart = 0; // file offset of the data buffer, set with the header
    bool m_headerWritten = false;
    bool m_failed = false; // a write failed: the temporary file is not to be trusted
    bool m_committed = false;
};

// Declares and writes every tensor in the given order, then commits.
void saveSafetensors(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                     const std::map<std::string, std::string>& metadata = {});

} // namespace ol
