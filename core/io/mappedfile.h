#pragma once
// Read-only memory map of a whole file. Checkpoints are mapped, never read
// whole, so opening a 70B model costs seconds and little resident memory.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace ol {

class MappedFile {
public:
    // Throws FormatError naming the path when it cannot be opened or mapped.
    explicit MappedFile(std::string path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const std::string& path() const { return m_path; }
    std::uint64_t size() const { return m_size; }
    const std::byte* data() const { return m_data; }
    std::span<const std::byte> bytes() const { return {m_data, static_cast<std::size_t>(m_size)}; }
    // Drops the resident pages of a range once it has been copied out: a
    // mapping's pages count in the process's RSS, so walking a 13.5 GB file
    // would otherwise leave it all resident. Later reads fault the pages in
    // again from the page cache; the contents never change.
    void release(const std::byte* begin, std::size_t length) const;

private:
    std::string m_path;
    std::uint64_t m_size = 0;
    const std::byte* m_data = nullptr;
};

} // namespace ol
