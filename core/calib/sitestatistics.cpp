#include "core/calib/sitestatistics.h"

#include "core/model/checkpoint.h"

namespace ol {

std::string SiteStatistics::moduleName() const { return names::layerPrefix(layer) + siteModule(site); }

std::vector<std::string> SiteStatistics::consumers() const {
    const std::string p = names::layerPrefix(layer);
    switch (site) {
    case Site::AttnInput: return {p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj"};
    case Site::MlpInput: return {p + "mlp.gate_proj", p + "mlp.up_proj"};
    default: return {moduleName()};
    }
}

} // namespace ol
