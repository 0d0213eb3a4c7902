#include "core/calib/plantoutliers.h"

#include "core/errors.h"
#include "core/model/checkpoint.h"
#include "core/model/overlaycheckpoint.h"

#include <ATen/ATen.h>
#include <sstream>

namespace ol {

std::string PlantedOutlier::describe() const {
    std::ostringstream s;
    s << (massive ? "massive" : "normal") << " outlier x" << factor << " at model.layers." << layer << " " << siteModule(site)
      << " input channel " << channel;
    return s.str();
}

PlantedOutlier parsePlantedOutlier(const std::string& text, bool massive) {
    std::vector<std::string> parts;
    std::stringstream ss(text);
    for (std::string p; std::getline(ss, p, ':');) parts.push_back(p);
    const std::string flag = massive ? "`massive`" : "`normal`";
    const std::string form = massive ? "LAYER:CHANNEL:FACTOR" : "LAYER:SITE:CHANNEL:FACTOR";
    if (parts.size() != (massive ? 3u : 4u)) throw UsageError(flag + " '" + text + "': expected " + form);
    PlantedOutlier o;
    o.massive = massive;
    try {
        std::size_t used = 0;
        o.layer = std::stoi(parts[0], &used);
        if (used != parts[0].size()) throw std::invalid_argument("layer");
        o.site = massive ? Site::DownInput : siteFromKey(parts[1]);
        const std::string& ch = parts[massive ? 1 : 2];
        o.channel = std::stoll(ch, &used);
        if (used != ch.size()) throw std::invalid_argument("channel");
        const std::string& f = parts[massive ? 2 : 3];
        o.factor = std::stod(f, &used);
        if (used != f.size()) throw std::invalid_argument("factor");
    } catch (const UsageError& e) {
        throw UsageError(flag + " '" + text + "': " + e.what());
    } catch (const std::exception&) {
        throw UsageError(flag + " '" + text + "': expected " + form + " with integer layer/channel and a number factor");
    }
    if (!(o.factor > 0) || !std::isfinite(o.factor))
        throw UsageError(flag + " '" + text + "': the factor must be a positive number");
    if (!massive && o.site != Site::AttnInput && o.site != Site::MlpInput && o.site != Site::AttnOutput)
        throw UsageError(flag + " '" + text + "': SITE must be attn_in, mlp_in or o_in");
    return o;
}

std::shared_ptr<OverlayCheckpoint> plantOutliers(const std::shared_ptr<const Checkpoint>& model,
                                                 const std::vector<PlantedOutlier>& outliers) {
    const ModelConfig& c = model->config();
    auto out = std::make_shared<OverlayCheckpoint>(model, "planted outliers");
    auto get = [&](const std::string& name) { return out->tensor(name).to(at::kDouble); };
    auto put = [&](const std::string& name, const at::Tensor& t) { out->replace(name, t); };
    for (const auto& o : outliers) {
        if (o.layer < 0 || o.layer >= c.numLayers)
            throw UsageError(o.describe() + ": the model has layers 0.." + std::to_string(c.numLayers - 1));
        const std::int64_t channels = o.site == Site::DownInput    ? c.intermediateSize
                                      : o.site == Site::AttnOutput ? c.numKvHeads * c.headDim
                                                                   : c.hiddenSize;
        if (o.channel < 0 || o.channel >= channels)
            throw UsageError(o.describe() + ": channel out of range 0.." + std::to_string(channels - 1));
        const int L = o.layer;
        // Scaling in float64, stored back in the checkpoint's dtype.
        if (o.site == Site::DownInput) {
            auto up = get(names::linear(L, "mlp.up_proj")), down = get(names::linear(L, "mlp.down_proj"));
            up[o.channel] *= o.factor;
            down.select(1, o.channel).div_(o.factor);
            put(names::linear(L, "mlp.up_proj"), up);
            put(names::linear(L, "mlp.down_proj"), down);
        } else if (o.site == Site::AttnInput || o.site == Site::MlpInput) {
            const bool attn = o.site == Site::AttnInput;
            const std::string norm = attn ? names::inputNorm(L) : names::postNorm(L);
            auto w = get(norm);
            w[o.channel] *= o.factor;
            put(norm, w);
            const std::vector<std::string> consumers =
                attn ? std::vector<std::string>{"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"}
                     : std::vector<std::string>{"mlp.gate_proj", "mlp.up_proj"};
            for (const auto& m : consumers) {
                auto lin = get(names::linear(L, m));
                lin.select(1, o.channel).div_(o.factor);
                put(names::linear(L, m), lin);
            }
        } else { // o_in: the channel is a v_proj output row (kv head h, dim d)
            auto v = get(names::linear(L, "self_attn.v_proj")), wo = get(names::linear(L, "self_attn.o_proj"));
            v[o.channel] *= o.factor;
            const std::int64_t kvHead = o.channel / c.headDim, d = o.channel % c.headDim;
            const std::int64_t group = c.numHeads / c.numKvHeads;
            for (std::int64_t q = kvHead * group; q < (kvHead + 1) * group; ++q) wo.select(1, q * c.headDim + d).div_(o.factor);
            put(names::linear(L, "self_attn.v_proj"), v);
            put(names::linear(L, "self_attn.o_proj"), wo);
        }
    }
    return out;
}

} // namespace ol
