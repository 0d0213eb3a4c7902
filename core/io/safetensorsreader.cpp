#include "core/io/safetensors.h"

#include "core/errors.h"
#include "core/io/mappedfile.h"

#include <ATen/ATen.h>
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

namespace ol {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian; loading copies bytes as they are");

namespace {

// The reference implementation refuses headers above 100 MB; a larger value is
// a corrupt length field, not a real header.
constexpr std::uint64_t kMaxHeaderSize = 100'000'000;

std::string shapeText(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

std::string rangeText(std::uint64_t begin, std::uint64_t end) {
    return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

// Parses the header JSON and checks every entry on its own; the layout checks
// that involve several entries come afterwards.
class HeaderParser {
public:
    explicit HeaderParser(const std::string& path) : m_path(path) {}

    [[noreturn]] void fail(const std::string& what) const { throw FormatError(m_path + ": " + what); }
    [[noreturn]] void failTensor(const std::string& name, const std::string& what) const {
        fail("tensor '" + name + "' " + what);
    }

    void parseMetadata(const nlohmann::json& value, std::map<std::string, std::string>& out) const {
        if (!value.is_object()) fail("__metadata__ is not a JSON object");
        for (const auto& [key, text] : value.items()) {
            if (!text.is_string()) fail("__metadata__ value of '" + key + "' is not a string");
            out.emplace(key, text.get<std::string>());
        }
    }

    TensorEntry parseEntry(const std::string& name, const nlohmann::json& value) const {
        if (!value.is_object()) failTensor(name, "is not a JSON object");
        TensorEntry e;
        e.name = name;

        const auto dtype = value.find("dtype");
        if (dtype == value.end()) failTensor(name, "has no dtype");
        if (!dtype->is_string()) failTensor(name, "dtype is not a string");
        try {
            e.dtype = parseDType(dtype->get<std::string>());
        } catch (const FormatError& err) {
            failTensor(name, "has " + std::string(err.what()));
        }

        const auto shape = value.find("shape");
        if (shape == value.end()) failTensor(name, "has no shape");
        if (!shape->is_array()) failTensor(name, "shape is not an array");
        for (const auto& dim : *shape) {
            if (dim.is_number_unsigned()) {
                // Dims above INT64_MAX cannot be a LibTorch size.
                const auto d = dim.get<std::uint64_t>();
                if (d > static_cast<std::uint64_t>(INT64_MAX)) failTensor(name, "has a dim too large: " + std::to_string(d));
                e.shape.push_back(static_cast<int64_t>(d));
            } else if (dim.is_number_integer()) {
                failTensor(name, "has a negative dim " + std::to_string(dim.get<int64_t>()) + " in its shape");
            } else {
                failTensor(name, "shape " + shape->dump() + " holds something other than integers");
            }
        }

        const auto offsets = value.find("data_offsets");
        if (offsets == value.end()) failTensor(name, "has no data_offsets");
        if (!offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
            !(*offsets)[1].is_number_unsigned())
            failTensor(name, "data_offsets " + offsets->dump() + " are not two non-negative integers");
        e.begin = (*offsets)[0].get<std::uint64_t>();
        e.end = (*offsets)[1].get<std::uint64_t>();
        if (e.begin > e.end) failTensor(name, "data_offsets " + rangeText(e.begin, e.end) + " end before they begin");

        // numel × element size, refusing anything that wraps around 64 bits:
        // a crafted shape must not pass the size check by overflowing.
        std::uint64_t bytes = dtypeSize(e.dtype);
        std::uint64_t count = 1;
        bool overflow = false;
        for (const int64_t d : e.shape) {
            overflow = overflow || __builtin_mul_overflow(count, static_cast<std::uint64_t>(d), &count);
        }
        overflow = overflow || count > static_cast<std::uint64_t>(INT64_MAX) || __builtin_mul_overflow(count, bytes, &bytes);
        const std::string layout = "shape " + shapeText(e.shape) + " and dtype " + dtypeName(e.dtype);
        if (overflow) failTensor(name, "has " + layout + " whose byte size overflows 64 bits");
        if (e.end - e.begin != bytes)
            failTensor(name, "data_offsets " + rangeText(e.begin, e.end) + " do not match its " + layout + " (" +
                                 std::to_string(bytes) + " bytes)");
        return e;
    }

private:
    const std::string& m_path;
};

} // namespace

int64_t TensorEntry::numel() const {
    int64_t n = 1;
    for (const int64_t d : shape) n *= d;
    return n;
}

SafetensorsReader::SafetensorsReader(const std::string& path) : m_path(path), m_file(std::make_unique<MappedFile>(path)) {
    const HeaderParser parser(m_path);
    const std::uint64_t fileSize = m_file->size();
    if (fileSize < 8) parser.fail("file is " + std::to_string(fileSize) + " bytes, shorter than the 8-byte header length");

    std::uint64_t headerSize = 0;
    for (int i = 7; i >= 0; --i) headerSize = (headerSize << 8) | std::to_integer<std::uint64_t>(m_file->data()[i]);
    if (headerSize == 0) parser.fail("header length is 0");
    if (headerSize > kMaxHeaderSize)
        parser.fail("header length " + std::to_string(headerSize) + " exceeds the limit of " + std::to_string(kMaxHeaderSize) +
                    " bytes");
    if (headerSize > fileSize - 8)
        parser.fail("header length " + std::to_string(headerSize) + " runs past the end of the file (" +
                    std::to_string(fileSize) + " bytes)");

    const char* headerBegin = reinterpret_cast<const char*>(m_file->data() + 8);
    // nlohmann keeps the last of duplicate keys silently; a second entry with
    // the same name would hide the first one, so duplicates are caught while
    // parsing (depth 1 = keys of the top-level object).
    std::set<std::string> seen;
    std::string duplicate;
    const auto watchKeys = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        if (event == nlohmann::json::parse_event_t::key && depth == 1 && duplicate.empty() &&
            !seen.insert(parsed.get<std::string>()).second)
            duplicate = parsed.get<std::string>();
        return true;
    };
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(headerBegin, headerBegin + headerSize, watchKeys);
    } catch (const nlohmann::json::exception& err) {
        parser.fail(std::string("header is not valid JSON: ") + err.what());
    }
    if (!header.is_object()) parser.fail("header is not a JSON object");
    if (!duplicate.empty())
        parser.fail("header lists " + (duplicate == "__metadata__" ? duplicate : "tensor '" + duplicate + "'") +
                    " more than once");

    m_data = m_file->data() + 8 + headerSize;
    m_dataSize = fileSize - 8 - headerSize;

    for (const auto& [key, value] : header.items()) {
        if (key == "__metadata__")
            parser.parseMetadata(value, m_metadata);
        else
            m_entries.push_back(parser.parseEntry(key, value));
    }

    // Empty tensors share their begin with the next one; ordering them by end
    // (then name) keeps them first and the order deterministic.
    std::sort(m_entries.begin(), m_entries.end(), [](const TensorEntry& a, const TensorEntry& b) {
        return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
    });

    // The format requires the tensors to tile the data buffer exactly: no
    // overlaps (two names for the same bytes) and no unindexed bytes.
    std::uint64_t cursor = 0;
    const TensorEntry* previous = nullptr;
    for (const auto& e : m_entries) {
        if (e.end > m_dataSize)
            parser.failTensor(e.name, "data_offsets " + rangeText(e.begin, e.end) + " run past the data buffer (" +
                                          std::to_string(m_dataSize) + " bytes)");
        if (e.begin < cursor)
            parser.failTensor(e.name, "data_offsets " + rangeText(e.begin, e.end) + " overlap tensor '" + previous->name + "' " +
                                          rangeText(previous->begin, previous->end));
        if (e.begin > cursor)
            parser.failTensor(e.name, "begins at " + std::to_string(e.begin) + ", leaving bytes " + rangeText(cursor, e.begin) +
                                          " of the data buffer unindexed");
        cursor = e.end;
        previous = &e;
    }
    if (cursor != m_dataSize)
        parser.fail("bytes " + rangeText(cursor, m_dataSize) + " at the end of the data buffer belong to no tensor" +
                    (previous ? " (the last tensor, '" + previous->name + "', ends at " + std::to_string(cursor) + ")"
                              : std::string(" (the header lists no tensors)")));

    m_index.reserve(m_entries.size());
    for (std::size_t i = 0; i < m_entries.size(); ++i) m_index.emplace(m_entries[i].name, i);
}

SafetensorsReader::~SafetensorsReader() = default;

const TensorEntry* SafetensorsReader::find(std::string_view name) const {
    const auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &m_entries[it->second];
}

std::span<const std::byte> SafetensorsReader::rawBytes(const TensorEntry& entry) const {
    // An entry from another reader could point past this mapping.
    if (entry.begin > entry.end || entry.end > m_dataSize)
        throw UsageError(m_path + ": tensor '" + entry.name + "' data_offsets " + rangeText(entry.begin, entry.end) +
                         " do not belong to this file");
    return {m_data + entry.begin, static_cast<std::size_t>(entry.end - entry.begin)};
}

at::Tensor SafetensorsReader::load(std::string_view name) const {
    const TensorEntry* e = find(name);
    if (!e) throw FormatError(m_path + ": no tensor '" + std::string(name) + "'");
    return load(*e);
}

c10::ScalarType SafetensorsReader::scalarTypeOf(const TensorEntry& entry) const {
    try {
        return toScalarType(entry.dtype);
    } catch (const FormatError& err) {
        throw FormatError(m_path + ": tensor '" + entry.name + "' cannot be loaded: " + err.what());
    }
}

at::Tensor SafetensorsReader::load(const TensorEntry& entry) const {
    const c10::ScalarType type = scalarTypeOf(entry);
    const auto bytes = rawBytes(entry);
    // LibTorch assumes bool bytes are 0 or 1; anything else is undefined
    // behaviour later, so refuse it here.
    if (entry.dtype == DType::BOOL)
        for (std::size_t i = 0; i < bytes.size(); ++i)
            if (std::to_integer<unsigned>(bytes[i]) > 1)
                throw FormatError(m_path + ": tensor '" + entry.name + "' holds byte " +
                                  std::to_string(std::to_integer<unsigned>(bytes[i])) + " at element " + std::to_string(i) +
                                  ", not a valid BOOL");
    at::Tensor t = at::empty(entry.shape, at::TensorOptions().dtype(type).device(at::kCPU));
    if (!bytes.empty()) std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
    release(entry);
    return t;
}

at::Tensor SafetensorsReader::view(const TensorEntry& entry) const {
    const c10::ScalarType type = scalarTypeOf(entry);
    if (entry.dtype == DType::BOOL) return load(entry); // validated copy: LibTorch assumes bool bytes are 0 or 1
    const auto bytes = rawBytes(entry);
    if (bytes.empty()) return at::empty(entry.shape, at::TensorOptions().dtype(type).device(at::kCPU));
    return at::from_blob(const_cast<std::byte*>(bytes.data()), entry.shape, at::TensorOptions().dtype(type).device(at::kCPU));
}

void SafetensorsReader::release(const TensorEntry& entry) const {
    const auto bytes = rawBytes(entry);
    m_file->release(bytes.data(), bytes.size());
}

} // namespace ol
