#pragma once
// The HDF5 session file: model identity, calibration settings and the
// statistics of every site of every layer (docs/session-format.md). Readable
// by h5py and h5dump without OutlierLab. Written atomically.
#include "core/calib/calibrationdata.h"
#include "core/calib/sitestatistics.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ol {

class H5File;
class Checkpoint;

constexpr int kSessionFormatVersion = 1;
// The first bytes of every session file (HDF5's user block; the HDF5 data starts at offset 512): what the
// desktop's MIME database (packaging/outlierlab-mime.xml) matches, so that sessions, and no other HDF5 file,
// open in the workbench.
constexpr const char* kSessionUserBlock = "OutlierLab session\nAn HDF5 file (data from offset 512), docs/session-format.md\n";

struct SessionModelInfo {
    std::string path, format, fingerprint, tokenizer, summary, configJson;
};

struct SessionInfo {
    int formatVersion = kSessionFormatVersion;
    std::string created, producer;
    SessionModelInfo model;
    CalibrationSettings calibration;
    std::int64_t textTokens = 0;
    std::string calibrationFingerprint;
    std::vector<std::int64_t> starts;
    double calibrationSeconds = 0;
};

SessionModelInfo describeModel(const Checkpoint& checkpoint);
SessionInfo makeSessionInfo(const Checkpoint& checkpoint, const CalibrationData& data, double seconds);

// Writes a new session (replacing `path` only once complete).
void writeSession(const std::string& path, const SessionInfo& info, const std::vector<SiteStatistics>& sites);

class SessionReader {
public:
    // Throws FormatError naming the file when it is not a session or has a
    // format version this build cannot read.
    explicit SessionReader(const std::string& path);
    ~SessionReader();

    const std::string& path() const { return m_path; }
    const SessionInfo& info() const { return m_info; }
    // (layer, site) of every stored site, layer-major.
    const std::vector<std::pair<int, Site>>& sites() const { return m_sites; }
    int numLayers() const;
    SiteStatistics statistics(int layer, Site site) const;

private:
    std::string m_path;
    std::unique_ptr<H5File> m_file;
    SessionInfo m_info;
    std::vector<std::pair<int, Site>> m_sites;
};

} // namespace ol
