// outlierlab-cli inspect: outlier report of a calibration session.
#include "commands.h"
#include "common.h"

#include "core/calib/outliers.h"
#include "core/calib/session.h"
#include "core/errors.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace ol::cli {

namespace {

std::string channelList(const std::vector<std::int64_t>& channels, std::size_t max = 8) {
    std::string s;
    for (std::size_t i = 0; i < channels.size() && i < max; ++i) s += (i ? "," : "") + std::to_string(channels[i]);
    if (channels.size() > max) s += ",… (" + std::to_string(channels.size()) + ")";
    return s.empty() ? "-" : s;
}

nlohmann::json siteJson(const SiteStatistics& s, const OutlierReport& r, std::size_t topShown) {
    nlohmann::json j;
    j["name"] = s.moduleName();
    j["site"] = siteKey(s.site);
    j["layer"] = s.layer;
    j["consumers"] = s.consumers();
    j["channels"] = s.channels;
    j["tokens"] = s.tokens;
    j["absmax"] = r.absmax;
    j["median_channel_absmax"] = r.medianChannelAbsmax;
    j["ratio"] = r.ratio;
    j["median_abs"] = s.medianAbs;
    j["kurtosis"] = s.tensorKurtosis;
    j["max_channel_kurtosis"] = s.kurtosis.max().item<double>();
    nlohmann::json massive = nlohmann::json::array();
    for (const auto& v : r.massive)
        massive.push_back({{"window", v.window}, {"token", v.token}, {"channel", v.channel}, {"value", v.value}});
    j["massive"] = massive;
    j["massive_saturated"] = r.massiveSaturated;
    j["massive_channels"] = r.massiveChannels;
    j["normal_outlier_channels"] = r.normalChannels;
    nlohmann::json top = nlohmann::json::array();
    for (std::size_t i = 0; i < s.top.size() && i < topShown; ++i)
        top.push_back(
            {{"window", s.top[i].window}, {"token", s.top[i].token}, {"channel", s.top[i].channel}, {"value", s.top[i].value}});
    j["top"] = top;
    return j;
}

} // namespace

int runInspect(const Args& args) {
    Flags f("inspect", "Outlier report of a session: per linear input (and Q/K/V) the channel count, absmax, median\n"
                       "channel absmax and their ratio, kurtosis, massive values and normal outlier channels.");
    f.allowPositional("session.h5");
    f.add("layer", Flags::Kind::String, "only sites whose module name contains this text (e.g. layers.3.mlp.down_proj)");
    f.add("massive_abs", Flags::Kind::Double, "massive: |x| above this", "100");
    f.add("massive_ratio", Flags::Kind::Double, "massive: and above this multiple of the median |x|", "1000");
    f.add("normal_ratio", Flags::Kind::Double, "normal: channel absmax and mean |x| above this multiple of their channel medians",
          "10");
    f.add("top", Flags::Kind::Int, "top values listed per site", "5").range(0, 1 << 20);
    f.add("qkv", Flags::Kind::Switch, "also list the Q, K (after rotary) and V sites in the table");
    f.add("json", Flags::Kind::Switch, "print one JSON object on stdout");
    if (!f.parse(args)) return kExitOk;
    if (f.positional().size() != 1) throw UsageError("expected exactly one session file");
    OutlierThresholds t;
    t.massiveAbs = f.real("massive_abs");
    t.massiveRatio = f.real("massive_ratio");
    t.normalRatio = f.real("normal_ratio");
    if (t.massiveAbs < 0 || t.massiveRatio < 0 || t.normalRatio <= 0) throw UsageError("thresholds must be positive");
    const auto topShown = static_cast<std::size_t>(std::max<std::int64_t>(0, f.integer("top")));
    SessionReader session(f.positional()[0]);
    const std::string filter = f.str("layer");

    nlohmann::json linears = nlohmann::json::array(), attention = nlohmann::json::array();
    std::vector<std::pair<SiteStatistics, OutlierReport>> rows;
    for (const auto& [layer, site] : session.sites()) {
        auto s = session.statistics(layer, site);
        if (!filter.empty() && s.moduleName().find(filter) == std::string::npos) continue;
        auto r = classifyOutliers(s, t);
        (isLinearInput(site) ? linears : attention).push_back(siteJson(s, r, topShown));
        if (isLinearInput(site) || f.on("qkv")) rows.emplace_back(std::move(s), std::move(r));
    }
    if (!filter.empty() && linears.empty() && attention.empty())
        throw UsageError("--layer '" + filter + "' matches no site in " + session.path());

    if (f.on("json")) {
        const auto& i = session.info();
        nlohmann::json j;
        j["session"] = session.path();
        j["model"] = {{"path", i.model.path}, {"fingerprint", i.model.fingerprint}, {"summary", i.model.summary}};
        j["calibration"] = {{"nsamples", i.calibration.nsamples},
                            {"seqlen", i.calibration.seqlen},
                            {"seed", i.calibration.seed},
                            {"text_tokens", i.textTokens},
                            {"text_files", i.calibration.textFiles}};
        j["thresholds"] = {{"massive_abs", t.massiveAbs}, {"massive_ratio", t.massiveRatio}, {"normal_ratio", t.normalRatio}};
        j["linears"] = linears;
        j["attention"] = attention;
        printJson(j.dump());
        return kExitOk;
    }
    const auto& i = session.info();
    std::printf("session %s\nmodel   %s (%s)\ncalib   %lld x %lld tokens, seed %llu\n\n", session.path().c_str(),
                i.model.path.c_str(), i.model.summary.c_str(), static_cast<long long>(i.calibration.nsamples),
                static_cast<long long>(i.calibration.seqlen), static_cast<unsigned long long>(i.calibration.seed));
    std::printf("%-32s %6s %10s %10s %8s %9s %8s  %s\n", "input of", "chans", "absmax", "med.chan", "ratio", "kurtosis",
                "massive", "normal outlier channels");
    for (const auto& [s, r] : rows) {
        const std::string massive = r.massive.empty() ? "-" : (r.massiveSaturated ? ">=" : "") + std::to_string(r.massive.size());
        std::printf("%-32s %6lld %10.4g %10.4g %8.1f %9.2f %8s  %s\n", s.moduleName().c_str(), static_cast<long long>(s.channels),
                    r.absmax, r.medianChannelAbsmax, r.ratio, s.tensorKurtosis, massive.c_str(),
                    channelList(r.normalChannels).c_str());
    }
    std::printf("\ntop values (window, token, channel: value)\n");
    for (const auto& [s, r] : rows) {
        std::printf("  %-32s", s.moduleName().c_str());
        for (std::size_t k = 0; k < s.top.size() && k < topShown; ++k)
            std::printf("  (%lld,%lld,%lld: %.4g)", static_cast<long long>(s.top[k].window),
                        static_cast<long long>(s.top[k].token), static_cast<long long>(s.top[k].channel), s.top[k].value);
        std::printf("\n");
    }
    std::printf("\nmassive: |x| > %g and > %g x median |x| (Sun et al. 2024); normal: channel absmax and mean |x| > %g x\n"
                "their medians over channels. Change with --massive_abs, --massive_ratio, --normal_ratio.\n",
                t.massiveAbs, t.massiveRatio, t.normalRatio);
    return kExitOk;
}

} // namespace ol::cli
