#include "core/io/safetensors.h"

#include "core/errors.h"
#include "core/io/syserror.h"

#include <ATen/ATen.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace ol {

namespace {

std::string shapeText(at::IntArrayRef shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

[[noreturn]] void usage(const std::string& path, const std::string& name, const std::string& what) {
    throw UsageError(path + ": tensor '" + name + "' " + what);
}

} // namespace

SafetensorsWriter::SafetensorsWriter(std::string path, std::map<std::string, std::string> metadata)
    : m_path(std::move(path)), m_metadata(std::move(metadata)), m_file(m_path) {
    // Opened now rather than at the first write, so that a missing or
    // read-only destination fails before any tensor is computed.
    m_fd = ::open(m_file.tempPath().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (m_fd < 0) throw RuntimeFailure(m_path + ": cannot create the file (" + m_file.tempPath() + "): " + systemMessage(errno));
}

SafetensorsWriter::~SafetensorsWriter() {
    // The AtomicFile member then removes the unfinished temporary file.
    closeFile();
}

void SafetensorsWriter::closeFile() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
}

void SafetensorsWriter::declare(const std::string& name, DType dtype, std::vector<int64_t> shape) {
    const auto fail = [&](const std::string& what) { usage(m_path, name, what); };
    if (m_headerWritten) fail("is declared after the first write(); declare every tensor first");
    if (name == "__metadata__") fail("uses the name reserved for the metadata");
    if (m_index.count(name)) fail("is declared twice");
    try {
        toScalarType(dtype);
    } catch (const FormatError& err) {
        usage(m_path, name, std::string("cannot be written: ") + err.what());
    }
    std::uint64_t bytes = dtypeSize(dtype);
    for (const int64_t d : shape) {
        if (d < 0) fail("has a negative dim in its shape " + shapeText(shape));
        if (__builtin_mul_overflow(bytes, static_cast<std::uint64_t>(d), &bytes))
            fail("has shape " + shapeText(shape) + " whose byte size overflows 64 bits");
    }
    std::uint64_t end = 0;
    if (__builtin_add_overflow(m_dataEnd, bytes, &end)) fail("does not fit: the data buffer would exceed 64-bit offsets");

    Slot slot;
    slot.entry.name = name;
    slot.entry.dtype = dtype;
    slot.entry.shape = std::move(shape);
    slot.entry.begin = m_dataEnd;
    slot.entry.end = end;
    m_index.emplace(name, m_slots.size());
    m_slots.push_back(std::move(slot));
    m_dataEnd = end;
}

void SafetensorsWriter::writeAt(std::uint64_t offset, const std::byte* data, std::size_t size, const std::string& what) {
    // pwrite may write less than asked (signals, pipes, some file systems);
    // loop until done or a real error.
    while (size > 0) {
        const ssize_t n = ::pwrite(m_fd, data, size, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            m_failed = true;
            throw RuntimeFailure(m_path + ": cannot write " + what + ": " + (n < 0 ? systemMessage(errno) : "no progress"));
        }
        data += n;
        size -= static_cast<std::size_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }
}

void SafetensorsWriter::writeHeader() {
    // ordered_json keeps the declaration order, so the header reads in the
    // same order as the data buffer is laid out.
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!m_metadata.empty()) header["__metadata__"] = m_metadata;
    for (const auto& slot : m_slots) {
        const TensorEntry& e = slot.entry;
        header[e.name] = {{"dtype", dtypeName(e.dtype)}, {"shape", e.shape}, {"data_offsets", {e.begin, e.end}}};
    }
    std::string text = header.dump();
    // Spaces up to a multiple of 8 put the data buffer on an 8-byte boundary
    // (the reference writer does the same), so a mapped file can be viewed as
    // F64/I64 without copying.
    text.append((8 - text.size() % 8) % 8, ' ');

    std::byte bytes[8];
    std::uint64_t n = text.size();
    for (auto& b : bytes) {
        b = static_cast<std::byte>(n & 0xff);
        n >>= 8;
    }
    writeAt(0, bytes, sizeof bytes, "the header length");
    writeAt(8, reinterpret_cast<const std::byte*>(text.data()), text.size(), "the header");
    m_dataStart = 8 + text.size();
    m_headerWritten = true;
}

void SafetensorsWriter::write(const std::string& name, const at::Tensor& tensor) {
    const auto fail = [&](const std::string& what) { usage(m_path, name, what); };
    if (m_committed) fail("is written after commit()");
    if (m_failed) throw RuntimeFailure(m_path + ": cannot write tensor '" + name + "': an earlier write failed");
    const auto it = m_index.find(name);
    if (it == m_index.end()) fail("was not declared");
    Slot& slot = m_slots[it->second];
    const TensorEntry& e = slot.entry;
    if (slot.written) fail("is written twice");
    if (!tensor.defined()) fail("is an undefined tensor");
    if (tensor.layout() != at::kStrided) fail("is not a dense (strided) tensor");
    DType actual;
    try {
        actual = fromScalarType(tensor.scalar_type());
    } catch (const UsageError& err) {
        usage(m_path, name, std::string("cannot be stored: ") + err.what());
    }
    if (actual != e.dtype) fail("has dtype " + dtypeName(actual) + " but was declared " + dtypeName(e.dtype));
    if (!std::equal(tensor.sizes().begin(), tensor.sizes().end(), e.shape.begin(), e.shape.end()))
        fail("has shape " + shapeText(tensor.sizes()) + " but was declared " + shapeText(e.shape));

    if (!m_headerWritten) writeHeader();
    // Lazy negation/conjugation flags are not in the bytes; resolve them.
    const at::Tensor cpu = tensor.to(at::kCPU).resolve_conj().resolve_neg().contiguous();
    const auto bytes = static_cast<std::size_t>(e.end - e.begin);
    if (bytes > 0) writeAt(m_dataStart + e.begin, static_cast<const std::byte*>(cpu.data_ptr()), bytes, "tensor '" + name + "'");
    slot.written = true;
}

void SafetensorsWriter::commit() {
    if (m_committed) throw UsageError(m_path + ": commit() called twice");
    if (m_failed) throw RuntimeFailure(m_path + ": cannot commit: an earlier write failed");
    std::string missing;
    std::size_t missingCount = 0;
    for (const auto& slot : m_slots) {
        if (slot.written) continue;
        if (++missingCount <= 5) missing += (missing.empty() ? "'" : ", '") + slot.entry.name + "'";
    }
    if (missingCount > 0)
        throw UsageError(m_path + ": " + std::to_string(missingCount) + " declared tensor(s) never written: " + missing +
                         (missingCount > 5 ? ", ..." : ""));
    if (!m_headerWritten) writeHeader(); // no tensors, or only empty ones

    // Write errors can surface only at fsync/close (delayed allocation, NFS,
    // quotas); a file that was not fully stored must not be renamed into place.
    if (::fsync(m_fd) != 0) {
        m_failed = true;
        throw RuntimeFailure(m_path + ": cannot flush the file to disk: " + systemMessage(errno));
    }
    const int fd = m_fd;
    m_fd = -1;
    if (::close(fd) != 0) {
        m_failed = true;
        throw RuntimeFailure(m_path + ": cannot close the file: " + systemMessage(errno));
    }
    try {
        m_file.commit();
    } catch (...) {
        m_failed = true;
        throw;
    }
    m_committed = true;
}

void saveSafetensors(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                     const std::map<std::string, std::string>& metadata) {
    SafetensorsWriter writer(path, metadata);
    for (const auto& [name, tensor] : tensors) {
        if (!tensor.defined()) throw UsageError(path + ": tensor '" + name + "' is an undefined tensor");
        DType dtype;
        try {
            dtype = fromScalarType(tensor.scalar_type());
        } catch (const UsageError& err) {
            usage(path, name, std::string("cannot be stored: ") + err.what());
        }
        writer.declare(name, dtype, tensor.sizes().vec());
    }
    for (const auto& [name, tensor] : tensors) writer.write(name, tensor);
    writer.commit();
}

} // namespace ol
