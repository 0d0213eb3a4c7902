#include "core/calib/session.h"

#include "core/device.h"
#include "core/errors.h"
#include "core/io/h5file.h"
#include "core/model/checkpoint.h"
#include "core/version.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <sstream>

namespace ol {

namespace {

const char* kFormatName = "outlierlab-session";

std::string nowIso() {
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    char buf[32];
    std::tm utc{};
    ::gmtime_r(&t, &utc); // not std::gmtime: sessions are saved from worker threads
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buf;
}

std::string sitePath(int layer, Site site) { return "/layers/" + std::to_string(layer) + "/" + siteKey(site); }

std::string joinLines(const std::vector<std::string>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "\n" : "") + v[i];
    return s;
}

std::vector<std::string> splitLines(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    for (std::string line; std::getline(ss, line);)
        if (!line.empty()) out.push_back(line);
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

std::int64_t layersOfModel(const std::string& configJson, const std::string& path) {
    try {
        const auto j = nlohmann::json::parse(configJson);
        const auto& n = j.at("num_hidden_layers");
        if (n.is_number_integer() && n.get<std::int64_t>() > 0 && n.get<std::int64_t>() < 100000) return n.get<std::int64_t>();
    } catch (const nlohmann::json::exception&) {
    }
    throw FormatError(path + ": /model/config_json has no usable num_hidden_layers");
}

std::string shapeText(const at::Tensor& t) {
    std::string s = "[";
    for (std::int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + "]";
}

// Shape and finiteness checks of one site's datasets, with messages naming the file and dataset.
struct SiteDatasetCheck {
    const std::string& file;
    const std::string& site;

    void rank(const std::string& dataset, const at::Tensor& t, std::int64_t dims) const {
        if (t.dim() != dims)
            throw FormatError(file + ": " + dataset + " has shape " + shapeText(t) + ", expected " + std::to_string(dims) +
                              " dimension" + (dims == 1 ? "" : "s"));
    }
    void shape(const char* name, const at::Tensor& t, const std::vector<std::int64_t>& expected) const {
        if (t.sizes().vec() != expected) {
            std::string e = "[";
            for (std::size_t i = 0; i < expected.size(); ++i) e += (i ? ", " : "") + std::to_string(expected[i]);
            throw FormatError(file + ": " + site + "/" + name + " has shape " + shapeText(t) + ", expected " + e + "]");
        }
    }
    void finite(const char* name, const at::Tensor& t) const {
        if (t.is_floating_point() && t.numel() > 0 && !at::isfinite(t).all().item<bool>())
            throw FormatError(file + ": " + site + "/" + name +
                              " holds NaN or infinite values (a corrupt session); calibrate again");
    }
    void finite(const char* attribute, double v) const {
        if (!std::isfinite(v))
            throw FormatError(file + ": " + site + ": attribute '" + attribute + "' is " + std::to_string(v) +
                              " (a corrupt session); calibrate again");
    }
};

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
    H5File f = H5File::create(path, kSessionUserBlock);
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
    for (const auto& s : sites) writeSite(f, s);
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

    // Every layer of the model with every site: a session missing one would
    // show (or quantize) a model of fewer layers without a word.
    const std::int64_t numLayers = layersOfModel(m_info.model.configJson, path);
    std::vector<int> layers;
    for (const auto& name : f.children("/layers")) {
        if (name.empty() || name.size() > 6 || name.find_first_not_of("0123456789") != std::string::npos)
            throw FormatError(path + ": /layers/" + name + " is not a layer number");
        layers.push_back(std::stoi(name));
    }
    std::sort(layers.begin(), layers.end());
    for (std::int64_t L = 0; L < numLayers; ++L)
        if (!std::binary_search(layers.begin(), layers.end(), static_cast<int>(L)))
            throw FormatError(path + ": /layers/" + std::to_string(L) + " is missing (the model has " +
                              std::to_string(numLayers) + " layers, the session " + std::to_string(layers.size()) +
                              "); calibrate again");
    if (!layers.empty() && layers.back() >= numLayers)
        throw FormatError(path + ": /layers/" + std::to_string(layers.back()) + " is beyond the model's " +
                          std::to_string(numLayers) + " layers");
    for (int L : layers)
        for (int s = 0; s < kSiteCount; ++s) {
            if (!f.exists(sitePath(L, static_cast<Site>(s))))
                throw FormatError(path + ": " + sitePath(L, static_cast<Site>(s)) + " is missing; calibrate again");
            m_sites.emplace_back(L, static_cast<Site>(s));
        }
}

SessionReader::~SessionReader() = default;

int SessionReader::numLayers() const { return m_sites.empty() ? 0 : m_sites.back().first + 1; }

SiteStatistics SessionReader::statistics(int layer, Site site) const {
    const std::string p = sitePath(layer, site);
    H5File& f = *m_file;
    if (!f.exists(p)) throw FormatError(m_path + ": no statistics for layer " + std::to_string(layer) + " site " + siteKey(site));
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
    if (s.channels < 1)
        throw FormatError(m_path + ": " + p + ": attribute 'channels' is " + std::to_string(s.channels) +
                          ", expected at least 1");
    const SiteDatasetCheck check{m_path, p};
    check.finite("tensor_kurtosis", s.tensorKurtosis);
    check.finite("median_abs", s.medianAbs);
    check.finite("mean_abs", s.meanAbsAll);
    for (auto [name, t] : {std::pair{"absmax", &s.absmax},
                           {"min", &s.min},
                           {"max", &s.max},
                           {"mean", &s.mean},
                           {"mean_abs", &s.meanAbs},
                           {"kurtosis", &s.kurtosis},
                           {"act_scales", &s.actScales},
                           {"act_shifts", &s.actShifts}}) {
        check.shape(name, *t, {s.channels});
        check.finite(name, *t);
    }
    check.rank(p + "/token_absmax", s.tokenAbsmax, 1);
    check.finite("token_absmax", s.tokenAbsmax);
    check.shape("token_argmax", s.tokenArgmax, {s.tokenAbsmax.size(0)});
    auto values = f.readTensor(p + "/top_values").to(at::kFloat).contiguous();
    auto positions = f.readTensor(p + "/top_positions").to(at::kLong).contiguous();
    check.rank(p + "/top_values", values, 1);
    check.finite("top_values", values);
    check.shape("top_positions", positions, {values.size(0), 3});
    for (std::int64_t i = 0; i < values.size(0); ++i)
        s.top.push_back({values[i].item<float>(), positions[i][0].item<std::int64_t>(), positions[i][1].item<std::int64_t>(),
                         positions[i][2].item<std::int64_t>()});
    s.histogramEdges = f.readTensor(p + "/histogram_edges");
    s.histogramCounts = f.readTensor(p + "/histogram_counts");
    s.tile = f.readTensor(p + "/tile");
    check.rank(p + "/histogram_counts", s.histogramCounts, 1);
    check.shape("histogram_edges", s.histogramEdges, {s.histogramCounts.size(0) + 1});
    check.finite("histogram_edges", s.histogramEdges);
    check.rank(p + "/tile", s.tile, 2);
    check.shape("tile", s.tile, {s.tile.size(0), s.channels});
    check.finite("tile", s.tile);
    return s;
}

} // namespace ol
