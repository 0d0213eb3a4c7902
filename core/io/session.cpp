#include "io/session.h"

#include "device.h"
#include "errors.h"
#include "io/h5file.h"
#include "model/checkpoint.h"

#include <ATen/ATen.h>
#include <chrono>
#include <ctime>
#include <sstream>

namespace ol {

namespace {

const char* kFormatName = "outlierlab-session";

std::string nowIso() {
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

std::string sitePath(int layer, Site site) { return "/layers/" + std::to_string(layer) + "/" + siteKey(site); }

std::string joinLines(const std::vector<std::string>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i)
        s += (i ? "\n" : "") + v[i];
    return s;
}

std::vector<std::string> splitLines(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    for (std::string line; std::getline(ss, line);)
        if (!line.empty())
            out.push_back(line);
    return out;
}

void writeSite(H5File& f, const SiteStatistics& s) {
    const std::string p = sitePath(s.layer, s.site);
    f.createGroup(p);
    f.setAttribute(p, "module", s.moduleName());
    f.setAttribute(p, "consumers", joinLines(s.consumers()));
    f.setAttribute(p, "channels", s.channels);
    f.setAttribute(p, "tokens", s.tokens);
    f.setAttribute(p, "tensor_kurtosis", s.tensorKurtosis);
    f.setAttribute(p, "median_abs", s.medianAbs);
    f.setAttribute(p, "mean_abs", s.meanAbsAll);
    f.setAttribute(p, "below_histogram", s.belowHistogram);
    f.writeTensor(p + "/absmax", s.absmax);
    f.writeTensor(p + "/min", s.min);
    f.writeTensor(p + "/max", s.max);
    f.writeTensor(p + "/mean", s.mean);
    f.writeTensor(p + "/mean_abs", s.meanAbs);
    f.writeTensor(p + "/kurtosis", s.kurtosis);
    f.writeTensor(p + "/act_scales", s.actScales);
    f.writeTensor(p + "/act_shifts", s.actShifts);
    f.writeTensor(p + "/token_absmax", s.tokenAbsmax);
    f.writeTensor(p + "/token_argmax", s.tokenArgmax);
    const auto k = static_cast<std::int64_t>(s.top.size());
    auto values = at::empty({k}, at::kFloat);
    auto positions = at::empty({k, 3}, at::kLong);
    for (std::int64_t i = 0; i < k; ++i) {
        values[i] = s.top[i].value;
        positions[i][0] = s.top[i].window;
        positions[i][1] = s.top[i].token;
        positions[i][2] = s.top[i].channel;
    }
    f.writeTensor(p + "/top_values", values);
    f.writeTensor(p + "/top_positions", positions);
    f.writeTensor(p + "/histogram_edges", s.histogramEdges);
    f.writeTensor(p + "/histogram_counts", s.histogramCounts);
    f.writeTensor(p + "/tile", s.tile);
}

} // namespace

SessionModelInfo describeModel(const Checkpoint& ck) {
    SessionModelInfo m;
    m.path = ck.path();
    m.format = ck.format();
    m.fingerprint = ck.fingerprint();
    m.tokenizer = ck.tokenizerPath();
    m.summary = ck.config().summary();
    m.configJson = ck.config().toHfJson();
    return m;
}

SessionInfo makeSessionInfo(const Checkpoint& ck, const CalibrationData& data, double seconds) {
    SessionInfo i;
    i.created = nowIso();
    i.producer = "OutlierLab ";
    i.producer += OUTLIERLAB_VERSION_STRING;
    i.model = describeModel(ck);
    i.calibration = data.settings;
    i.textTokens = data.textTokens;
    i.calibrationFingerprint = data.fingerprint;
    i.starts = data.starts;
    i.calibrationSeconds = seconds;
    return i;
}

void writeSession(const std::string& path, const SessionInfo& info, const std::vector<SiteStatistics>& sites) {
    H5File f = H5File::create(path);
    f.createGroup("/");
    f.setAttribute("/", "format", std::string(kFormatName));
    f.setAttribute("/", "format_version", static_cast<std::int64_t>(info.formatVersion));
    f.setAttribute("/", "created", info.created);
    f.setAttribute("/", "producer", info.producer);
    f.createGroup("/model");
    f.setAttribute("/model", "path", info.model.path);
    f.setAttribute("/model", "format", info.model.format);
    f.setAttribute("/model", "fingerprint", info.model.fingerprint);
    f.setAttribute("/model", "tokenizer", info.model.tokenizer);
    f.setAttribute("/model", "summary", info.model.summary);
    f.writeString("/model/config_json", info.model.configJson);
    f.createGroup("/calibration");
    f.setAttribute("/calibration", "text_files", joinLines(info.calibration.textFiles));
    f.setAttribute("/calibration", "nsamples", info.calibration.nsamples);
    f.setAttribute("/calibration", "seqlen", info.calibration.seqlen);
    f.setAttribute("/calibration", "seed", static_cast<std::int64_t>(info.calibration.seed));
    f.setAttribute("/calibration", "consecutive", static_cast<std::int64_t>(info.calibration.consecutive));
    f.setAttribute("/calibration", "text_tokens", info.textTokens);
    f.setAttribute("/calibration", "fingerprint", info.calibrationFingerprint);
    f.setAttribute("/calibration", "seconds", info.calibrationSeconds);
    f.writeTensor("/calibration/window_starts",
                  at::tensor(info.starts.empty() ? std::vector<std::int64_t>{} : info.starts, at::kLong));
    f.createGroup("/layers");
    for (const auto& s : sites)
        writeSite(f, s);
    f.commit();
}

SessionReader::SessionReader(const std::string& path) : m_path(path) {
    m_file = std::make_unique<H5File>(H5File::openRead(path));
    H5File& f = *m_file;
    if (!f.hasAttribute("/", "format") || f.stringAttribute("/", "format") != kFormatName)
        throw FormatError(path + ": not an OutlierLab session (no format=\"" + kFormatName + "\" attribute)");
    m_info.formatVersion = static_cast<int>(f.intAttribute("/", "format_version"));
    if (m_info.formatVersion > kSessionFormatVersion)
        throw FormatError(path + ": session format version " + std::to_string(m_info.formatVersion) +
                          " is newer than this OutlierLab reads (" + std::to_string(kSessionFormatVersion) + ")");
    m_info.created = f.stringAttribute("/", "created");
    m_info.producer = f.stringAttribute("/", "producer");
    m_info.model.path = f.stringAttribute("/model", "path");
    m_info.model.format = f.stringAttribute("/model", "format");
    m_info.model.fingerprint = f.stringAttribute("/model", "fingerprint");
    m_info.model.tokenizer = f.stringAttribute("/model", "tokenizer");
    m_info.model.summary = f.stringAttribute("/model", "summary");
    m_info.model.configJson = f.readString("/model/config_json");
    m_info.calibration.textFiles = splitLines(f.stringAttribute("/calibration", "text_files"));
    m_info.calibration.nsamples = f.intAttribute("/calibration", "nsamples");
    m_info.calibration.seqlen = f.intAttribute("/calibration", "seqlen");
    m_info.calibration.seed = static_cast<std::uint64_t>(f.intAttribute("/calibration", "seed"));
    m_info.calibration.consecutive = f.intAttribute("/calibration", "consecutive") != 0;
    m_info.textTokens = f.intAttribute("/calibration", "text_tokens");
    m_info.calibrationFingerprint = f.stringAttribute("/calibration", "fingerprint");
    m_info.calibrationSeconds = f.doubleAttribute("/calibration", "seconds");
    auto starts = f.readTensor("/calibration/window_starts").to(at::kLong).contiguous();
    m_info.starts.assign(starts.data_ptr<std::int64_t>(), starts.data_ptr<std::int64_t>() + starts.numel());

    std::vector<int> layers;
    for (const auto& name : f.children("/layers"))
        layers.push_back(std::stoi(name));
    std::sort(layers.begin(), layers.end());
    for (int L : layers)
        for (int s = 0; s < kSiteCount; ++s)
            if (f.exists(sitePath(L, static_cast<Site>(s))))
                m_sites.emplace_back(L, static_cast<Site>(s));
}

SessionReader::~SessionReader() = default;

int SessionReader::numLayers() const { return m_sites.empty() ? 0 : m_sites.back().first + 1; }

SiteStatistics SessionReader::statistics(int layer, Site site) const {
    const std::string p = sitePath(layer, site);
    H5File& f = *m_file;
    if (!f.exists(p))
        throw FormatError(m_path + ": no statistics for layer " + std::to_string(layer) + " site " + siteKey(site));
    SiteStatistics s;
    s.layer = layer;
    s.site = site;
    s.channels = f.intAttribute(p, "channels");
    s.tokens = f.intAttribute(p, "tokens");
    s.tensorKurtosis = f.doubleAttribute(p, "tensor_kurtosis");
    s.medianAbs = f.doubleAttribute(p, "median_abs");
    s.meanAbsAll = f.doubleAttribute(p, "mean_abs");
    s.belowHistogram = f.intAttribute(p, "below_histogram");
    s.absmax = f.readTensor(p + "/absmax");
    s.min = f.readTensor(p + "/min");
    s.max = f.readTensor(p + "/max");
    s.mean = f.readTensor(p + "/mean");
    s.meanAbs = f.readTensor(p + "/mean_abs");
    s.kurtosis = f.readTensor(p + "/kurtosis");
    s.actScales = f.readTensor(p + "/act_scales");
    s.actShifts = f.readTensor(p + "/act_shifts");
    s.tokenAbsmax = f.readTensor(p + "/token_absmax");
    s.tokenArgmax = f.readTensor(p + "/token_argmax");
    auto values = f.readTensor(p + "/top_values").to(at::kFloat).contiguous();
    auto positions = f.readTensor(p + "/top_positions").to(at::kLong).contiguous();
    for (std::int64_t i = 0; i < values.size(0); ++i)
        s.top.push_back({values[i].item<float>(), positions[i][0].item<std::int64_t>(), positions[i][1].item<std::int64_t>(),
                         positions[i][2].item<std::int64_t>()});
    s.histogramEdges = f.readTensor(p + "/histogram_edges");
    s.histogramCounts = f.readTensor(p + "/histogram_counts");
    s.tile = f.readTensor(p + "/tile");
    if (s.absmax.numel() != s.channels)
        throw FormatError(m_path + ": " + p + "/absmax has " + std::to_string(s.absmax.numel()) + " values but channels = " +
                          std::to_string(s.channels));
    return s;
}

} // namespace ol
